using Repro.Model.IO;
using TorchSharp;
using static TorchSharp.torch;

namespace Repro.Model.Clip;

/// <summary>
/// Strict loading for the CLIP/ViT models. Keys the model does not own are refused, except two explicit cases:
/// the legacy persistent <c>*.embeddings.position_ids</c> buffers of old checkpoints, and — when a single tower is
/// loaded from a full <c>CLIPModel</c> checkpoint — the other tower's keys (transformers loads "subsets" that way).
/// </summary>
internal static class ClipCheckpoint
{
    public static readonly string[] LegacyPositionIds = ["text_model.embeddings.position_ids", "vision_model.embeddings.position_ids", "embeddings.position_ids"];

    public static string WeightsPath(string folder, string? variant) => ModelWeights.Resolve(folder, "model", variant);

    /// <param name="foreignPrefixes">Key prefixes of the other tower, skipped when the folder holds a full CLIPModel.</param>
    public static void Load(nn.Module module, string folder, string? variant, IReadOnlyList<string>? foreignPrefixes = null)
    {
        string path = WeightsPath(folder, variant);
        StateDictLoader.Load(module, path, ignoreUnexpected: key =>
            LegacyPositionIds.Contains(key) || (foreignPrefixes?.Any(p => key.StartsWith(p, StringComparison.Ordinal)) ?? false));
    }

    /// <summary>Prefixes that a text-only model skips in a full CLIPModel checkpoint.</summary>
    public static readonly string[] VisionKeys = ["vision_model.", "visual_projection.", "logit_scale"];

    /// <summary>Prefixes that a vision-only model skips in a full CLIPModel checkpoint.</summary>
    public static readonly string[] TextKeys = ["text_model.", "text_projection.", "logit_scale"];
}
