/// Properties of CoRe Eq. 3 (context embedding regularization).
[<FsCheck.Xunit.Properties(Arbitrary = [| typeof<Repro.Losses.Properties.Generators.Arbs> |], MaxTest = 40)>]
module Repro.Losses.Properties.CoReEq3ContextEmbeddingProperties

open System
open FsCheck.Xunit
open TorchSharp
open Repro.Losses
open Repro.Losses.Properties.Generators

let forms = [ Form.Official; Form.Paper ]

let sets (c: PromptCase) = CoReContextIndexSets.FromPositions(c.K, c.E, 1)

/// Two text-encoder outputs (batch, 77, D).
let outputs (c: PromptCase) =
    let rng = Random c.Seed
    let shape = [ int64 c.Batch; int64 Tokens; int64 c.Dim ]
    randn rng shape, randn rng shape, rng

let loss form lambda obj cat c = CoReEq3ContextEmbedding(lambda, form).Loss(obj, cat, sets c)

[<Property>]
let ``CoRe Eq3 cosine distances lie in 0..2 so the loss lies in 0..2 lambda`` (c: PromptCase) =
    use _ = torch.NewDisposeScope()
    let obj, cat, _ = outputs c
    forms |> List.forall (fun f ->
        let cos = CoReEq3ContextEmbedding(1.0, f).Cosines(obj, cat, sets c)
        let l = value (loss f 1.5 obj cat c)
        value (cos.min()) >= -1.0 - 1e-12 && value (cos.max()) <= 1.0 + 1e-12 && l >= 0.0 && l <= 3.0 + 1e-12)

[<Property>]
let ``CoRe Eq3 is zero when the context rows are equal whatever the S* row and padding hold`` (c: PromptCase) =
    use _ = torch.NewDisposeScope()
    let obj, cat, _ = outputs c
    let s = sets c
    let matched = cat.clone().index_copy_(1, torch.tensor(s.Category), obj.index_select(1, torch.tensor(s.Object)))
    let unmatched = value (loss Form.Official 1.0 obj cat c)
    forms |> List.forall (fun f -> abs (value (loss f 1.0 obj matched c)) <= 1e-14) && unmatched > 0.0

[<Property>]
let ``CoRe Eq3 Paper is invariant to positive per-token scaling`` (c: PromptCase) =
    use _ = torch.NewDisposeScope()
    let obj, cat, rng = outputs c
    let scale = (randn rng [ int64 c.Batch; int64 Tokens; 1L ]).exp()
    close 1e-10 1e-15 (value (loss Form.Paper 1.0 obj cat c)) (value (loss Form.Paper 1.0 (obj * scale) cat c))

[<Property>]
let ``CoRe Eq3 Official is invariant to positive per-channel scaling`` (c: PromptCase) =
    use _ = torch.NewDisposeScope()
    let obj, cat, rng = outputs c
    let channels () = (randn rng [ int64 c.Batch; 1L; int64 c.Dim ]).exp()
    let l = value (loss Form.Official 1.0 obj cat c)
    close 1e-10 1e-15 l (value (loss Form.Official 1.0 (obj * channels ()) cat c))
    && close 1e-10 1e-15 l (value (loss Form.Official 1.0 obj (cat * channels ()) c))

[<Property>]
let ``CoRe Eq3 sends no gradient to the category branch`` (c: PromptCase) =
    use _ = torch.NewDisposeScope()
    let obj, cat, _ = outputs c
    forms |> List.forall (fun f ->
        let o, k = obj.clone().requires_grad_(true), cat.clone().requires_grad_(true)
        (loss f 1.0 o k c).backward()
        isNull k.grad && not (isNull o.grad))

[<Property(MaxTest = 15)>]
let ``CoRe Eq3 autograd gradient agrees with finite differences`` (c: PromptCase) =
    use _ = torch.NewDisposeScope()
    let obj, cat, rng = outputs c
    let s = sets c
    let positions = [ for _ in 1..5 -> (rng.Next c.Batch * Tokens + int s.Object[rng.Next s.Count]) * c.Dim + rng.Next c.Dim ]
    forms |> List.forall (fun f -> gradientMatchesFiniteDifferences (fun o -> loss f 1.0 o cat c) obj positions)
