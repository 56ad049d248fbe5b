/// Properties of the CoRe context index sets (the i ≠ k tokens of Eqs. 3-4), built from token ids.
[<FsCheck.Xunit.Properties(MaxTest = 60)>]
module Repro.Losses.Properties.CoReContextIndexSetsProperties

open System
open FsCheck
open FsCheck.Xunit
open Repro.Losses

let Bos, Eos, Placeholder = 49406L, 49407L, 49408L

/// "BOS words[..k−1] <middle> words[k−1..] EOS pad…" padded to 77 with 0 (SD2.x) or EOS (SD1.x).
let prompt (words: int64[]) k (middle: int64 list) padWithEos =
    let body = [ yield Bos; yield! words[.. k - 2]; yield! middle; yield! words[k - 1 ..]; yield Eos ]
    Array.ofList (body @ List.replicate (77 - body.Length) (if padWithEos then Eos else 0L))

let words (seed: int) n =
    let rng = Random seed
    Array.init n (fun _ -> int64 (rng.Next(1, 49000)))

[<Property>]
let ``Context sets are BOS..k-1 and k+1..first EOS, of equal length e, without S* or padding`` (seed: int) (NonNegativeInt before) (NonNegativeInt after) (padWithEos: bool) =
    let n = (before % 30) + (after % 30) + 1
    let k = (before % 30) % n + 1
    let ids = prompt (words seed n) k [ Placeholder ] padWithEos
    let e = Array.IndexOf(ids, Eos)
    let s = CoReContextIndexSets.FromTokenIds(ids, Placeholder, Eos, 1)
    s.PlaceholderPosition = k && s.EosPosition = e && s.Count = e
    && s.Object = Array.append [| 0L .. int64 k - 1L |] [| int64 k + 1L .. int64 e |]
    && s.Category = s.Object
    && s.Object[0] = 0L && s.Object[s.Count - 1] = int64 e && not (Array.contains (int64 k) s.Object)

[<Property>]
let ``Paper form aligns a multi-token category word for word and Official form rejects it`` (seed: int) (NonNegativeInt before) (NonNegativeInt after) (PositiveInt m) =
    let m = m % 4 + 2
    let n = (before % 20) + (after % 20) + 1
    let k = (before % 20) % n + 1
    let ws = words seed n
    let objectIds = prompt ws k [ Placeholder ] false
    let categoryIds = prompt ws k [ for i in 1..m -> 40000L + int64 i ] false
    let s = CoReContextIndexSets.FromTokenIds(objectIds, Placeholder, Eos, m, Form.Paper)
    let aligned = (s.Object |> Array.map (fun i -> objectIds[int i])) = (s.Category |> Array.map (fun i -> categoryIds[int i]))
    let rejected =
        try
            CoReContextIndexSets.FromTokenIds(objectIds, Placeholder, Eos, m, Form.Official) |> ignore
            false
        with :? ArgumentException -> true
    aligned && rejected && categoryIds[int s.Category[s.Count - 1]] = Eos
