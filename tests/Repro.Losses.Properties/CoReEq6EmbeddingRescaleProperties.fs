/// Properties of CoRe Eq. 6 (embedding rescaling inside a step window).
[<FsCheck.Xunit.Properties(MaxTest = 40)>]
module Repro.Losses.Properties.CoReEq6EmbeddingRescaleProperties

open System
open FsCheck
open FsCheck.Xunit
open TorchSharp
open Repro.Losses
open Repro.Losses.Properties.Generators

/// Runs steps 1..stop+3 of a random "optimizer" and records (step, v before the rescale, v after, recorded norm).
let run seed (PositiveInt start) (NonNegativeInt width) =
    let start, stop = start % 15 + 1, start % 15 + 1 + width % 15
    let rng = Random seed
    let v = randn rng [ 1L; 8L ]
    use rescale = new CoReEq6EmbeddingRescale(start, stop)
    [ for step in 1 .. stop + 3 do
          v.add_(randn rng [ 1L; 8L ]).mul_(torch.tensor(1.0 + rng.NextDouble())) |> ignore
          let before = v.clone()
          rescale.AfterOptimizerStep(v, step)
          yield step, before, v.clone(), (if isNull rescale.RecordedNorm then nan else value rescale.RecordedNorm) ],
    start, stop

[<Property>]
let ``Rescaling inside the window restores the norm recorded at the start step and keeps the direction`` (seed: int) start width =
    use _ = torch.NewDisposeScope()
    let steps, start, stop = run seed start width
    let normAtStart = steps |> List.pick (fun (s, before, _, _) -> if s = start then Some(value (before.norm())) else None)
    steps |> List.filter (fun (s, _, _, _) -> s > start && s <= stop) |> List.forall (fun (_, before, after, recorded) ->
        let direction (t: torch.Tensor) = t / t.norm()
        close 1e-12 0.0 recorded normAtStart
        && close 1e-12 0.0 (value (after.norm())) normAtStart
        && value ((direction after - direction before).abs().max()) <= 1e-12)

[<Property>]
let ``Rescaling is the identity outside the window and at the start step`` (seed: int) start width =
    use _ = torch.NewDisposeScope()
    let steps, start, stop = run seed start width
    steps |> List.filter (fun (s, _, _, _) -> s <= start || s > stop) |> List.forall (fun (_, before, after, _) -> value ((before - after).abs().max()) = 0.0)
