/// Properties of CoRe Eq. 4 (context attention regularization).
[<FsCheck.Xunit.Properties(Arbitrary = [| typeof<Repro.Losses.Properties.Generators.Arbs> |], MaxTest = 40)>]
module Repro.Losses.Properties.CoReEq4ContextAttentionProperties

open System
open FsCheck.Xunit
open TorchSharp
open Repro.Losses
open Repro.Losses.Properties.Generators

let forms = [ Form.Official; Form.Paper ]

let sets (c: PromptCase) = CoReContextIndexSets.FromPositions(c.K, c.E, 1)

let loss lambda form (obj: torch.Tensor[]) (cat: torch.Tensor[]) c = CoReEq4ContextAttention(lambda, form).Loss(obj, cat, sets c)

/// Independent S*-prompt and category-prompt maps.
let pair (c: PromptCase) =
    let rng = Random c.Seed
    maps rng c.Batch c.Layers, maps rng c.Batch c.Layers, rng

/// The S*-prompt maps with rows k and a padding row exchanged: the context rows are equal, the rest differs, and every
/// pixel is still a distribution over the 77 tokens.
let sameContext (c: PromptCase) (obj: torch.Tensor[]) =
    let idx = Array.init Tokens int64
    idx[c.K] <- int64 c.Pad
    idx[c.Pad] <- int64 c.K
    obj |> Array.map (fun m -> m.index_select(1, torch.tensor(idx)))

[<Property>]
let ``CoRe Eq4 is non-negative and zero when the context rows are equal`` (c: PromptCase) =
    use _ = torch.NewDisposeScope()
    let obj, cat, _ = pair c
    forms |> List.forall (fun f -> value (loss 0.05 f obj cat c) >= 0.0 && value (loss 0.05 f obj (sameContext c obj) c) = 0.0)

[<Property>]
let ``CoRe Eq4 is invariant under permuting pixels within each layer and permuting the layers`` (c: PromptCase) =
    use _ = torch.NewDisposeScope()
    let obj, cat, rng = pair c
    let pixels (m: torch.Tensor) = m.index_select(3, torch.tensor(permutation rng (int m.shape[3])))
    let layers = permutation rng obj.Length
    let reorder (ms: torch.Tensor[]) = layers |> Array.map (fun i -> pixels ms[int i])
    forms |> List.forall (fun f -> close 1e-10 1e-20 (value (loss 0.05 f obj cat c)) (value (loss 0.05 f (reorder obj) (reorder cat) c)))

[<Property>]
let ``CoRe Eq4 Official batch loss is the sum and Paper the mean of the single-sample losses`` (c: PromptCase) =
    use _ = torch.NewDisposeScope()
    let obj, cat, _ = pair c
    let sample b (ms: torch.Tensor[]) = ms |> Array.map (fun m -> m.narrow(0, int64 b, 1L))
    let sum f = List.sum [ for b in 0 .. c.Batch - 1 -> value (loss 0.05 f (sample b obj) (sample b cat) c) ]
    close 1e-10 1e-20 (value (loss 0.05 Form.Official obj cat c)) (sum Form.Official)
    && close 1e-10 1e-20 (value (loss 0.05 Form.Paper obj cat c)) (sum Form.Paper / float c.Batch)

[<Property>]
let ``CoRe Eq4 is linear in lambda`` (c: PromptCase) (lambda: FsCheck.NormalFloat) =
    use _ = torch.NewDisposeScope()
    let obj, cat, _ = pair c
    let lambda = abs lambda.Get % 10.0
    forms |> List.forall (fun f -> close 1e-10 1e-20 (value (loss lambda f obj cat c)) (lambda * value (loss 1.0 f obj cat c)))

[<Property>]
let ``CoRe Eq4 sends no gradient to the category maps nor to the S* and padding rows`` (c: PromptCase) =
    use _ = torch.NewDisposeScope()
    let obj, cat, _ = pair c
    forms |> List.forall (fun f ->
        let o = obj |> Array.map (fun m -> m.clone().requires_grad_(true))
        let k = cat |> Array.map (fun m -> m.clone().requires_grad_(true))
        (loss 0.05 f o k c).backward()
        let outside (g: torch.Tensor) = torch.cat([| g.narrow(1, int64 c.K, 1L); g.narrow(1, int64 c.E + 1L, int64 (Tokens - c.E - 1)) |], 1L).abs().max()
        (k |> Array.forall (fun m -> isNull m.grad)) && (o |> Array.forall (fun m -> value (outside m.grad) = 0.0)))

[<Property(MaxTest = 15)>]
let ``CoRe Eq4 autograd gradient agrees with finite differences`` (c: PromptCase) =
    use _ = torch.NewDisposeScope()
    let obj, cat, rng = pair c
    let layer = rng.Next obj.Length
    let x = obj[layer]
    let h, p = int x.shape[2], int x.shape[3]
    let positions = [ for _ in 1..5 -> ((rng.Next c.Batch * Tokens + rng.Next (c.E + 1)) * h + rng.Next h) * p + rng.Next p ]
    forms |> List.forall (fun f ->
        let withLayer (y: torch.Tensor) = loss 0.05 f (obj |> Array.mapi (fun i z -> if i = layer then y else z)) cat c
        gradientMatchesFiniteDifferences withLayer x positions)
