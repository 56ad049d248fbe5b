/// Properties of AttnDreamBooth Eq. 2 (cross-attention map regularizer between [V] and the category token).
[<FsCheck.Xunit.Properties(Arbitrary = [| typeof<Repro.Losses.Properties.Generators.Arbs> |], MaxTest = 40)>]
module Repro.Losses.Properties.AttnDreamBoothEq2Properties

open System
open FsCheck.Xunit
open TorchSharp
open Repro.Losses
open Repro.Losses.Properties.Generators

let forms = [ Form.Official; Form.Paper ]

let loss lm lv form (maps: torch.Tensor[]) (ks: int64 list) = AttnDreamBoothEq2(lm, lv, form).Loss(maps, Array.ofList ks)

/// Each map with token rows k_b and k_b + 1 of sample b exchanged (still a softmax distribution over tokens).
let swapRows (ks: int64 list) (map: torch.Tensor) =
    let order =
        ks |> List.map (fun k ->
            let idx = Array.init Tokens int64
            idx[int k] <- k + 1L
            idx[int k + 1] <- k
            torch.tensor(idx))
    torch.stack(order |> List.mapi (fun b idx -> map[int64 b].index_select(0L, idx)), 0)

[<Property>]
let ``ADB Eq2 is non-negative in both forms`` (c: MapsCase) =
    use _ = torch.NewDisposeScope()
    let m = maps (Random c.Seed) c.Batch c.Layers
    forms |> List.forall (fun f -> value (loss 2.0 5.0 f m c.Placeholder) >= 0.0)

[<Property>]
let ``ADB Eq2 is exactly zero when the category logits equal the [V] logits`` (c: MapsCase) =
    use _ = torch.NewDisposeScope()
    let rng = Random c.Seed
    let tied =
        c.Layers |> List.map (fun layer ->
            let logits = randn rng [ int64 c.Batch; int64 Tokens; int64 layer.Heads; int64 layer.Pixels ]
            c.Placeholder |> List.iteri (fun b k -> logits[int64 b, k + 1L].copy_(logits[int64 b, k]) |> ignore)
            logits.softmax(1)) |> Array.ofList
    forms |> List.forall (fun f -> value (loss 2.0 5.0 f tied c.Placeholder) = 0.0)

[<Property>]
let ``ADB Eq2 is symmetric under swapping the [V] and category rows`` (c: MapsCase) =
    use _ = torch.NewDisposeScope()
    let m = maps (Random c.Seed) c.Batch c.Layers
    let swapped = m |> Array.map (swapRows c.Placeholder)
    forms |> List.forall (fun f -> close 1e-12 0.0 (value (loss 2.0 5.0 f m c.Placeholder)) (value (loss 2.0 5.0 f swapped c.Placeholder)))

[<Property>]
let ``ADB Eq2 is invariant under permuting the heads x pixels of each layer`` (c: MapsCase) =
    use _ = torch.NewDisposeScope()
    let rng = Random c.Seed
    let m = maps rng c.Batch c.Layers
    let permuted =
        m |> Array.map (fun x ->
            let flat = x.reshape(x.shape[0], x.shape[1], -1L)
            flat.index_select(2, torch.tensor(permutation rng (int flat.shape[2]))).reshape(x.shape))
    forms |> List.forall (fun f -> close 1e-10 1e-18 (value (loss 2.0 5.0 f m c.Placeholder)) (value (loss 2.0 5.0 f permuted c.Placeholder)))

[<Property>]
let ``ADB Eq2 is invariant under permuting the layers`` (c: MapsCase) =
    use _ = torch.NewDisposeScope()
    let rng = Random c.Seed
    let m = maps rng c.Batch c.Layers
    let permuted = permutation rng m.Length |> Array.map (fun i -> m[int i])
    forms |> List.forall (fun f -> close 1e-10 1e-18 (value (loss 2.0 5.0 f m c.Placeholder)) (value (loss 2.0 5.0 f permuted c.Placeholder)))

[<Property>]
let ``ADB Eq2 is linear in lambda_mu and lambda_sigma`` (c: MapsCase) (lm: FsCheck.NormalFloat) (lv: FsCheck.NormalFloat) =
    use _ = torch.NewDisposeScope()
    let m = maps (Random c.Seed) c.Batch c.Layers
    let lm, lv = abs lm.Get % 10.0, abs lv.Get % 10.0
    forms |> List.forall (fun f ->
        let combined = value (loss lm lv f m c.Placeholder)
        let separate = lm * value (loss 1.0 0.0 f m c.Placeholder) + lv * value (loss 0.0 1.0 f m c.Placeholder)
        close 1e-10 1e-18 combined separate)

[<Property>]
let ``ADB Eq2 Official batch loss is the sum and Paper the mean of the single-sample losses`` (c: MapsCase) =
    use _ = torch.NewDisposeScope()
    let m = maps (Random c.Seed) c.Batch c.Layers
    let single f b = value (loss 2.0 5.0 f (m |> Array.map (fun x -> x.narrow(0, int64 b, 1L))) [ c.Placeholder[b] ])
    let sum f = List.sum [ for b in 0 .. c.Batch - 1 -> single f b ]
    close 1e-10 1e-18 (value (loss 2.0 5.0 Form.Official m c.Placeholder)) (sum Form.Official)
    && close 1e-10 1e-18 (value (loss 2.0 5.0 Form.Paper m c.Placeholder)) (sum Form.Paper / float c.Batch)

[<Property(MaxTest = 15)>]
let ``ADB Eq2 autograd gradient agrees with finite differences and vanishes outside the [V] and category rows`` (c: MapsCase) =
    use _ = torch.NewDisposeScope()
    let rng = Random c.Seed
    let m = maps rng c.Batch c.Layers
    let layer = rng.Next m.Length
    let x = m[layer]
    let (h, p) = int x.shape[2], int x.shape[3]
    let flat b tok = ((b * Tokens + tok) * h + rng.Next h) * p + rng.Next p
    let positions =
        [ for _ in 1..4 do
              let b = rng.Next c.Batch
              yield flat b (int c.Placeholder[b] + rng.Next 2)
          yield flat (rng.Next c.Batch) (rng.Next Tokens) ]
    forms |> List.forall (fun f ->
        let withLayer (y: torch.Tensor) = loss 2.0 5.0 f (m |> Array.mapi (fun i z -> if i = layer then y else z)) c.Placeholder
        gradientMatchesFiniteDifferences withLayer x positions)

[<Property>]
let ``ADB Eq2 Official equals a direct loop over layers and samples with the unbiased variance (divisor heads x pixels - 1)`` (c: MapsCase) =
    use _ = torch.NewDisposeScope()
    let m = maps (Random c.Seed) c.Batch c.Layers
    let row (x: torch.Tensor) (b: int) (tok: int64) = x[int64 b, tok].reshape(-1L).data<float>().ToArray()
    let stats (v: float[]) =
        let mean = Array.average v
        mean, (v |> Array.sumBy (fun a -> (a - mean) ** 2.0)) / float (v.Length - 1)
    let expected =
        List.sum [ for x in m do
                       for b in 0 .. c.Batch - 1 do
                           let k = c.Placeholder[b]
                           let (mv, vv), (mc, vc) = stats (row x b k), stats (row x b (k + 1L))
                           yield 2.0 * (mv - mc) ** 2.0 + 5.0 * (vv - vc) ** 2.0 ] / float m.Length
    close 1e-9 1e-20 (value (loss 2.0 5.0 Form.Official m c.Placeholder)) expected
