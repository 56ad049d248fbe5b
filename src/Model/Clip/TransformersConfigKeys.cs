using System.Text.Json.Nodes;
using Repro.Model.IO;

namespace Repro.Model.Clip;

/// <summary>
/// Keys that transformers' <c>PretrainedConfig</c> writes into every <c>config.json</c> (generation and task
/// settings) and that do not change the module tree or its forward. They are explicitly ignored, so that the
/// unknown-key report only names keys that could matter.
/// </summary>
public static class TransformersConfigKeys
{
    public static IReadOnlySet<string> Ignored { get; } = new HashSet<string>
    {
        "add_cross_attention", "bad_words_ids", "begin_suppress_tokens", "chunk_size_feed_forward",
        "cross_attention_hidden_size", "decoder_start_token_id", "diversity_penalty", "do_sample", "early_stopping",
        "encoder_no_repeat_ngram_size", "exponential_decay_length_penalty", "finetuning_task", "forced_bos_token_id",
        "forced_eos_token_id", "id2label", "is_decoder", "is_encoder_decoder", "label2id", "length_penalty",
        "max_length", "min_length", "no_repeat_ngram_size", "num_beam_groups", "num_beams", "num_return_sequences",
        "output_attentions", "output_hidden_states", "output_scores", "prefix", "problem_type", "pruned_heads",
        "remove_invalid_values", "repetition_penalty", "return_dict", "return_dict_in_generate", "sep_token_id",
        "suppress_tokens", "task_specific_params", "temperature", "tf_legacy_loss", "tie_encoder_decoder",
        "tie_word_embeddings", "tokenizer_class", "top_k", "top_p", "torchscript", "typical_p", "use_bfloat16",
    };

    /// <summary>Keys of <paramref name="node"/> that neither a property of <paramref name="type"/> nor the ignore list covers.</summary>
    public static List<string> Unknown(JsonObject node, Type type, string prefix = "")
    {
        var mapped = ConfigJson.MappedKeys(type);
        return node.Select(p => p.Key)
            .Where(k => !k.StartsWith('_') && !mapped.Contains(k) && !Ignored.Contains(k))
            .Select(k => prefix + k).ToList();
    }

    /// <summary>Writes unknown config keys as a warning (they are reported, not fatal: real configs carry extras).</summary>
    public static void Report(string path, IReadOnlyList<string> unknown, Action<string>? warn)
    {
        if (unknown.Count == 0) return;
        (warn ?? (m => Console.Error.WriteLine(m)))($"warning: {path}: config keys not used by this model: {string.Join(", ", unknown)}");
    }
}
