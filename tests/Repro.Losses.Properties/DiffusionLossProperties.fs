/// Properties of the diffusion loss (DDPM L_simple, min-SNR-γ) and DreamBooth's prior-preservation loss (Eq. 2).
[<FsCheck.Xunit.Properties(MaxTest = 40)>]
module Repro.Losses.Properties.DiffusionLossProperties

open System
open FsCheck
open FsCheck.Xunit
open TorchSharp
open Repro.Losses
open Repro.Losses.Properties.Generators

let batch (seed: int) (PositiveInt b) =
    let rng = Random seed
    let shape = [ int64 (b % 4 + 1); 2L; 3L; 3L ]
    let alphas = torch.tensor(Array.init (b % 4 + 1) (fun _ -> 0.001 + 0.998 * rng.NextDouble()))
    randn rng shape, randn rng shape, randn rng shape, alphas

[<Property>]
let ``Min-SNR weighting with gamma above every SNR leaves the epsilon loss equal to the plain MSE`` (seed: int) b =
    use _ = torch.NewDisposeScope()
    let pred, target, _, alphas = batch seed b
    let plain = value (DiffusionLoss().Loss(pred, target))
    let weighted = value (DiffusionLoss(PredictionType.Epsilon, Nullable 1e9).Loss(pred, target, alphas))
    close 1e-12 0.0 plain weighted && plain = value ((pred - target).square().mean())

[<Property>]
let ``The v target and x_t give back x0 as sqrt(a) x_t - sqrt(1-a) v`` (seed: int) b =
    use _ = torch.NewDisposeScope()
    let x0, noise, _, alphas = batch seed b
    let a = alphas.reshape(-1L, 1L, 1L, 1L)
    let xt = a.sqrt() * x0 + (1.0 - a).sqrt() * noise
    let v = DiffusionLoss(PredictionType.VPrediction).Target(x0, noise, alphas)
    value ((a.sqrt() * xt - (1.0 - a).sqrt() * v - x0).abs().max()) <= 1e-12

[<Property>]
let ``Prior preservation is the instance MSE plus lambda times the class-half MSE`` (seed: int) b (lambda: NormalFloat) =
    use _ = torch.NewDisposeScope()
    let pred, target, _, _ = batch seed b
    let pred, target = torch.cat([| pred; pred.flip(0L) |], 0L), torch.cat([| target; target |], 0L)
    let half = pred.shape[0] / 2L
    let mse (x: torch.Tensor) (y: torch.Tensor) = value ((x - y).square().mean())
    let lambda = lambda.Get % 10.0
    let expected = mse (pred.narrow(0, 0L, half)) (target.narrow(0, 0L, half)) + lambda * mse (pred.narrow(0, half, half)) (target.narrow(0, half, half))
    close 1e-12 1e-15 (value (DreamBoothEq2PriorPreservation(lambda).Loss(pred, target))) expected
