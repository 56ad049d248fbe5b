namespace Repro.Losses;

// CoRe (arXiv 2408.15914), Eqs. 3-4: the context tokens i ≠ k of the prompt pair y* / y_cat (utils.get_context_embedding_loss).
/// <summary>
/// Context positions of a prompt pair ("a S* in the jungle" / "a dog in the jungle"): BOS .. k−1 and k+1 .. e in the S*
/// prompt, where k is the S* position and e the first EOS (BOS and that EOS included, S* and padding excluded); in the
/// category prompt the same words, shifted past the m category tokens.
/// <list type="bullet">
/// <item><see cref="Form.Official"/>: category set [0, k) ∪ [k+m, e], with e taken from the S* prompt; it only lines up
/// for m = 1, so m &gt; 1 is an error (the official code fails with a shape mismatch).</item>
/// <item><see cref="Form.Paper"/>: category set [0, k) ∪ [k+m, e+m−1], aligned word for word for any m.</item>
/// </list>
/// Both forms take the FIRST EOS, so tokenizers that pad with EOS work (the official lookup fails there).
/// </summary>
public sealed record CoReContextIndexSets(int PlaceholderPosition, int EosPosition, int CategoryTokenCount, long[] Object, long[] Category)
{
    /// <summary>Number of context tokens L (= e).</summary>
    public int Count => Object.Length;

    /// <summary>Index sets from the S* prompt's token ids (77 with padding), the placeholder id, the EOS id and m.</summary>
    public static CoReContextIndexSets FromTokenIds(IReadOnlyList<long> objectIds, long placeholderId, long eosId, int categoryTokenCount, Form form = Form.Official)
    {
        var placeholder = -1;
        var eos = -1;
        for (var i = 0; i < objectIds.Count; i++)
        {
            if (objectIds[i] == placeholderId)
            {
                if (placeholder >= 0) throw new ArgumentException($"The placeholder id {placeholderId} occurs more than once.", nameof(objectIds));
                placeholder = i;
            }
            else if (objectIds[i] == eosId && eos < 0) eos = i;
        }
        if (placeholder < 0) throw new ArgumentException($"The placeholder id {placeholderId} does not occur.", nameof(objectIds));
        if (eos < 0) throw new ArgumentException($"The EOS id {eosId} does not occur.", nameof(objectIds));
        return FromPositions(placeholder, eos, categoryTokenCount, objectIds.Count, form);
    }

    /// <inheritdoc cref="FromTokenIds(IReadOnlyList{long}, long, long, int, Form)"/>
    public static CoReContextIndexSets FromTokenIds(IReadOnlyList<int> objectIds, long placeholderId, long eosId, int categoryTokenCount, Form form = Form.Official) =>
        FromTokenIds(objectIds.Select(i => (long)i).ToArray(), placeholderId, eosId, categoryTokenCount, form);

    /// <summary>Index sets from k (S* position), e (first EOS of the S* prompt), m (category token count) and the sequence length.</summary>
    public static CoReContextIndexSets FromPositions(int placeholderPosition, int eosPosition, int categoryTokenCount, int sequenceLength = 77, Form form = Form.Official)
    {
        var (k, e, m) = (placeholderPosition, eosPosition, categoryTokenCount);
        if (m < 1) throw new ArgumentOutOfRangeException(nameof(categoryTokenCount), "The category needs at least one token.");
        if (k < 1 || e <= k || e >= sequenceLength)
            throw new ArgumentException($"Need BOS < k < e < {sequenceLength}; got k = {k}, e = {e}.");
        if (form == Form.Official && m > 1)
            throw new ArgumentException(
                $"A super-category of {m} tokens cannot be aligned by the official code ([0,k)∪[k+m,e] has {e - m + 1} rows vs {e}); use a single-token category or Form.Paper.",
                nameof(categoryTokenCount));
        if (e + m - 1 >= sequenceLength)
            throw new ArgumentException($"The category prompt's EOS (position {e + m - 1}) falls outside the {sequenceLength} tokens.", nameof(categoryTokenCount));

        var before = Enumerable.Range(0, k).Select(i => (long)i);
        var objectSet = before.Concat(Enumerable.Range(k + 1, e - k).Select(i => (long)i)).ToArray();
        var categorySet = before.Concat(Enumerable.Range(k + m, e - k).Select(i => (long)i)).ToArray();
        return new CoReContextIndexSets(k, e, m, objectSet, categorySet);
    }
}
