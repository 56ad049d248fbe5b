using static TorchSharp.torch;

namespace Repro.Model.Schedulers;

/// <summary>What a step returns: x_{t−1} and the model's estimate of x_0 (diffusers' <c>prev_sample</c>, <c>pred_original_sample</c>).</summary>
public sealed record SchedulerOutput(Tensor PrevSample, Tensor PredOriginalSample);
