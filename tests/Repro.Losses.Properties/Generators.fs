/// Generated inputs that respect the real invariants: attention rows are softmax distributions over the 77 tokens,
/// layers have random (heads, pixels) shapes, token positions are random but valid. Tensors are float64 so that
/// properties can be checked to ~1e-12 and finite differences are exact enough.
module Repro.Losses.Properties.Generators

open System
open FsCheck
open FsCheck.FSharp
open TorchSharp

let Tokens = 77

type Layer = { Heads: int; Pixels: int }

/// Maps of several layers for a batch, with per-sample placeholder positions k_b (k_b + 1 < 77).
type MapsCase =
    { Seed: int
      Batch: int
      Layers: Layer list
      Placeholder: int64 list }

/// A CoRe prompt pair: S* at k, first EOS at e, a padding row p after e, and m category tokens.
type PromptCase =
    { Seed: int
      Batch: int
      Layers: Layer list
      K: int
      E: int
      Pad: int
      Dim: int }

let gaussian (rng: Random) =
    let u1 = 1.0 - rng.NextDouble()
    let u2 = rng.NextDouble()
    sqrt (-2.0 * log u1) * cos (2.0 * Math.PI * u2)

/// A float64 tensor of N(0, 1) values of the given shape, drawn from rng.
let randn (rng: Random) (shape: int64 list) =
    let n = shape |> List.fold (*) 1L |> int
    torch.tensor(Array.init n (fun _ -> gaussian rng)).reshape(Array.ofList shape)

/// Attention probabilities (batch, 77, heads, pixels) as the hook stores them: logits = 1.5·N(0,1) + a per-(sample, token)
/// offset + 4 on BOS, softmax over the token axis.
let attentionMap (rng: Random) batch (layer: Layer) =
    let b, t = int64 batch, int64 Tokens
    let bos = torch.tensor(Array.init Tokens (fun i -> if i = 0 then 4.0 else 0.0)).reshape(1L, t, 1L, 1L)
    let logits = 1.5 * randn rng [ b; t; int64 layer.Heads; int64 layer.Pixels ] + randn rng [ b; t; 1L; 1L ] + bos
    logits.softmax(1L)

let maps (rng: Random) batch (layers: Layer list) = layers |> List.map (attentionMap rng batch) |> Array.ofList

let layerGen = gen {
    let! heads = Gen.choose (1, 4)
    let! pixels = Gen.choose (2, 12)
    return { Heads = heads; Pixels = pixels } }

let mapsCaseGen = gen {
    let! seed = Gen.choose (0, Int32.MaxValue)
    let! batch = Gen.choose (1, 3)
    let! n = Gen.choose (1, 6)
    let! layers = Gen.listOfLength n layerGen
    let! ks = Gen.listOfLength batch (Gen.choose (1, Tokens - 2))
    return { Seed = seed; Batch = batch; Layers = layers; Placeholder = ks |> List.map int64 } }

let promptCaseGen = gen {
    let! seed = Gen.choose (0, Int32.MaxValue)
    let! batch = Gen.choose (1, 3)
    let! n = Gen.choose (1, 5)
    let! layers = Gen.listOfLength n layerGen
    let! k = Gen.choose (1, 60)
    let! e = Gen.choose (k + 1, Tokens - 2)
    let! pad = Gen.choose (e + 1, Tokens - 1)
    let! dim = Gen.choose (2, 8)
    return { Seed = seed; Batch = batch; Layers = layers; K = k; E = e; Pad = pad; Dim = dim } }

type Arbs =
    static member MapsCase() = Arb.fromGen mapsCaseGen
    static member PromptCase() = Arb.fromGen promptCaseGen

/// Scalar value of a 0-d (or 1-element) tensor.
let value (t: torch.Tensor) = t.to_type(torch.ScalarType.Float64).item<float>()

/// |a − b| ≤ rtol·max(|a|, |b|) + atol.
let close rtol atol (a: float) (b: float) = abs (a - b) <= rtol * max (abs a) (abs b) + atol

/// Central finite difference of f at flat positions of x, compared with autograd (float64, h = 1e-6).
let gradientMatchesFiniteDifferences (f: torch.Tensor -> torch.Tensor) (x: torch.Tensor) (positions: int list) =
    let leaf = x.detach().clone().requires_grad_(true)
    (f leaf).backward()
    let grad = leaf.grad.reshape(-1L).data<float>().ToArray()
    let data = x.detach().reshape(-1L).data<float>().ToArray()
    let at (delta: float) i =
        let moved = Array.copy data
        moved[i] <- moved[i] + delta
        value (f (torch.tensor(moved).reshape(x.shape)))
    let h = 1e-6
    let scale = grad |> Array.map abs |> Array.max
    positions |> List.forall (fun i ->
        let fd = (at h i - at -h i) / (2.0 * h)
        abs (fd - grad[i]) <= 1e-5 * scale + 1e-12)

/// A permutation of 0 .. n−1 drawn from rng.
let permutation (rng: Random) n =
    let p = Array.init n id
    rng.Shuffle p
    p |> Array.map int64
