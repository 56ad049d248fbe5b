using System.Text;

namespace Repro.Model.Tokenizers;

/// <summary>
/// transformers' slow <c>CLIPTokenizer</c> as Stable Diffusion calls it: added/special tokens are split off the
/// raw text first, every other piece is normalised (<see cref="ClipNormalization"/>), cut by CLIP's regex and
/// encoded with byte-level BPE (<c>&lt;/w&gt;</c> end-of-word marker); BOS/EOS wrap the ids.
/// Encoding is thread-safe; <see cref="AddTokens"/> must not run concurrently with encoding.
/// </summary>
public sealed class ClipTokenizer
{
    public const string DefaultBosToken = "<|startoftext|>";
    public const string DefaultEosToken = "<|endoftext|>";
    public const int DefaultModelMaxLength = 77;

    private readonly Dictionary<string, int> _vocab;
    private readonly Dictionary<int, string> _decoder = new();
    private readonly ClipBpe _bpe;
    private readonly AddedTokenSplitter _added = new();
    private int _vocabSize;

    private ClipTokenizer(Dictionary<string, int> vocab, ClipBpe bpe, ClipNormalization normalization,
        string bos, string eos, string unk, string pad, int modelMaxLength)
    {
        _vocab = vocab;
        _bpe = bpe;
        Normalization = normalization;
        ModelMaxLength = modelMaxLength;
        foreach (var (token, id) in vocab) _decoder.TryAdd(id, token);
        _vocabSize = vocab.Count;
        BosToken = bos; EosToken = eos; UnkToken = unk; PadToken = pad;
        // Like PreTrainedTokenizer.__init__: special tokens become added tokens (existing vocab ids are kept),
        // so e.g. SD2's pad token "!" is split off the raw text before BPE.
        BosId = Register(bos);
        EosId = Register(eos);
        UnkId = Register(unk);
        PadId = Register(pad);
    }

    /// <summary>
    /// Loads a Hugging Face tokenizer folder: vocab.json + merges.txt, plus optional tokenizer_config.json /
    /// special_tokens_map.json (bos/eos/unk/pad tokens, model_max_length) and added_tokens.json.
    /// Explicit <paramref name="padToken"/> / <paramref name="modelMaxLength"/> override the files.
    /// </summary>
    public static ClipTokenizer FromFolder(string dir, ClipNormalization normalization = ClipNormalization.Basic,
        string? padToken = null, int? modelMaxLength = null)
    {
        if (!Directory.Exists(dir)) throw new DirectoryNotFoundException($"CLIP tokenizer folder not found: {dir}");
        var settings = ClipTokenizerFiles.ReadConfig(dir);
        int maxLen = modelMaxLength ?? DefaultModelMaxLength;
        if (modelMaxLength is null && settings.TryGetValue("model_max_length", out var m)
            && m.ValueKind == System.Text.Json.JsonValueKind.Number && m.TryGetInt32(out int fromFile))
            maxLen = fromFile;
        string eos = ClipTokenizerFiles.TokenContent(settings, "eos_token") ?? DefaultEosToken;
        var tok = FromFiles(Path.Combine(dir, "vocab.json"), Path.Combine(dir, "merges.txt"), normalization,
            bos: ClipTokenizerFiles.TokenContent(settings, "bos_token") ?? DefaultBosToken,
            eos: eos,
            unk: ClipTokenizerFiles.TokenContent(settings, "unk_token") ?? DefaultEosToken,
            pad: padToken ?? ClipTokenizerFiles.TokenContent(settings, "pad_token") ?? DefaultEosToken,
            modelMaxLength: maxLen);
        foreach (var (token, id) in ClipTokenizerFiles.ReadAddedTokens(dir))
            tok.RegisterWithId(token, id);
        return tok;
    }

    /// <summary>Builds a tokenizer from explicit vocab.json and merges.txt paths (CLIP defaults for the rest).</summary>
    public static ClipTokenizer FromFiles(string vocabPath, string mergesPath,
        ClipNormalization normalization = ClipNormalization.Basic, string bos = DefaultBosToken,
        string eos = DefaultEosToken, string unk = DefaultEosToken, string pad = DefaultEosToken,
        int modelMaxLength = DefaultModelMaxLength)
    {
        var vocab = ClipTokenizerFiles.ReadVocab(vocabPath);
        var bpe = new ClipBpe(vocab, ClipTokenizerFiles.ReadMerges(mergesPath), [DefaultBosToken, DefaultEosToken], unk);
        return new ClipTokenizer(vocab, bpe, normalization, bos, eos, unk, pad, modelMaxLength);
    }

    public ClipNormalization Normalization { get; }
    public int ModelMaxLength { get; }
    public string BosToken { get; }
    public string EosToken { get; }
    public string UnkToken { get; }
    public string PadToken { get; }
    public int BosId { get; }
    public int EosId { get; }
    public int UnkId { get; }
    public int PadId { get; }

    /// <summary><c>len(tokenizer)</c>: base vocabulary plus added tokens (49408 for CLIP before any addition).</summary>
    public int VocabSize => _vocabSize;

    /// <summary>
    /// <c>tokenizer.add_tokens(tokens)</c>, returning each token's id: a new token gets the next id
    /// (<see cref="VocabSize"/> before the call, 49408 first); a token already in the vocabulary or already added
    /// keeps its id (it is then also split off the raw text, like transformers does).
    /// </summary>
    public int[] AddTokens(params string[] tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        var ids = new int[tokens.Length];
        for (int i = 0; i < tokens.Length; i++)
        {
            if (string.IsNullOrEmpty(tokens[i])) throw new ArgumentException("Added tokens must be non-empty.", nameof(tokens));
            ids[i] = Register(tokens[i]);
        }
        return ids;
    }

    /// <summary>The id of a token string (added tokens first, then the vocabulary), or null.</summary>
    public int? TokenToId(string token) =>
        _added.TryGetId(token, out int id) || _vocab.TryGetValue(token, out id) ? id : null;

    /// <summary><c>tokenizer(text).input_ids</c>: BOS + content ids + EOS, no truncation, no padding.</summary>
    public int[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int> { BosId };
        foreach (var (piece, addedId) in _added.Split(text))
        {
            if (addedId is int id) { ids.Add(id); continue; }
            foreach (string symbol in _bpe.Encode(ClipTextNormalizer.Normalize(piece, Normalization)))
                ids.Add(TokenToId(symbol) ?? UnkId);
        }
        ids.Add(EosId);
        return [.. ids];
    }

    /// <summary>
    /// <c>tokenizer(text, padding="max_length", truncation=True, max_length=maxLength).input_ids</c>: the first
    /// maxLength-2 content ids between BOS and EOS, then <see cref="PadId"/> up to maxLength.
    /// </summary>
    public int[] EncodePadded(string text, int maxLength = DefaultModelMaxLength)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, 2);
        int[] full = Encode(text);
        int content = Math.Min(full.Length - 2, maxLength - 2);
        var ids = new int[maxLength];
        Array.Copy(full, ids, content + 1);   // BOS + kept content
        ids[content + 1] = EosId;
        for (int i = content + 2; i < maxLength; i++) ids[i] = PadId;
        return ids;
    }

    /// <summary><c>convert_ids_to_tokens</c>: byte-level BPE strings (<c>&lt;/w&gt;</c> marks a word end).</summary>
    public string[] ConvertIdsToTokens(IEnumerable<int> ids) => ids.Select(id =>
        _decoder.TryGetValue(id, out var t) ? t : throw new ArgumentOutOfRangeException(nameof(ids), id, "Unknown token id.")).ToArray();

    /// <summary>Readable text of ids: BPE runs are byte-decoded (&lt;/w&gt; becomes a space), added tokens kept verbatim.</summary>
    public string Decode(IEnumerable<int> ids, bool skipSpecialTokens = true)
    {
        var sb = new StringBuilder();
        var run = new StringBuilder();
        void Flush() { sb.Append(ClipBpe.ByteDecode(run.ToString()).Replace(ClipBpe.EndOfWord, " ")); run.Clear(); }
        foreach (string token in ConvertIdsToTokens(ids))
        {
            if (!_added.TryGetId(token, out _)) { run.Append(token); continue; }
            Flush();
            bool special = token == BosToken || token == EosToken || token == UnkToken || token == PadToken;
            if (!(skipSpecialTokens && special)) sb.Append(' ').Append(token).Append(' ');
        }
        Flush();
        return string.Join(' ', sb.ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries));
    }

    /// <summary>
    /// Indices of <paramref name="tokenId"/> in an encoded sequence, searching only up to the first EOS after
    /// BOS (pad ids may collide with content ids, e.g. SD2's pad "!" = 0).
    /// </summary>
    public IReadOnlyList<int> FindTokenPositions(int[] ids, int tokenId)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var positions = new List<int>();
        for (int i = 0; i < ids.Length; i++)
        {
            if (ids[i] == tokenId) positions.Add(i);
            if (i > 0 && ids[i] == EosId) break;
        }
        return positions;
    }

    // transformers _add_tokens: existing vocabulary/added ids are reused, otherwise the next free id.
    private int Register(string content)
    {
        if (_added.TryGetId(content, out int id)) return id;
        if (!_vocab.TryGetValue(content, out id)) id = _vocabSize++;
        _added.Add(content, id);
        _decoder[id] = content;
        return id;
    }

    // added_tokens.json: the id is given by the file.
    private void RegisterWithId(string content, int id)
    {
        if (_added.TryGetId(content, out _)) return;
        if (!_vocab.ContainsKey(content) && !_decoder.ContainsKey(id)) _vocabSize++;
        _added.Add(content, id);
        _decoder[id] = content;
    }
}
