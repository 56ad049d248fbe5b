using System.Text.Json.Nodes;
using Repro.Model.IO;

namespace Repro.Model.Pipeline;

/// <summary>
/// A Stable Diffusion folder exactly as diffusers publishes it: <c>model_index.json</c> naming the components, each
/// in its own subfolder with its config (<c>unet/</c>, <c>vae/</c>, <c>text_encoder/</c>, <c>tokenizer/</c>, <c>scheduler/</c>).
/// </summary>
public sealed class DiffusersFolder
{
    public static readonly string[] RequiredComponents = ["unet", "vae", "text_encoder", "tokenizer", "scheduler"];

    public string Root { get; }
    public IReadOnlyDictionary<string, (string Library, string ClassName)> Components { get; }

    private DiffusersFolder(string root, Dictionary<string, (string, string)> components)
    {
        Root = root;
        Components = components;
    }

    public string PathOf(string component) => Path.Combine(Root, component);

    public static DiffusersFolder Open(string root)
    {
        root = Path.GetFullPath(root);
        string index = Path.Combine(root, "model_index.json");
        if (!File.Exists(index)) throw new FileNotFoundException($"{index}: not found; --model must be a diffusers folder with model_index.json", index);
        var json = ConfigJson.ReadObject(index);
        var components = new Dictionary<string, (string, string)>();
        foreach (var (name, value) in json)
        {
            if (name.StartsWith('_')) continue;
            if (value is JsonArray { Count: 2 } pair && pair[0] is JsonValue && pair[1] is JsonValue)
                components[name] = (pair[0]?.GetValue<string>() ?? "", pair[1]?.GetValue<string>() ?? "");
        }
        foreach (string required in RequiredComponents)
        {
            if (!components.ContainsKey(required))
                throw new InvalidDataException($"{index}: component '{required}' is missing");
            if (!Directory.Exists(Path.Combine(root, required)))
                throw new DirectoryNotFoundException($"{root}: folder '{required}/' named in model_index.json is missing");
        }
        return new DiffusersFolder(root, components);
    }
}
