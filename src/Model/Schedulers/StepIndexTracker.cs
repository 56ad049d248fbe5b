namespace Repro.Model.Schedulers;

/// <summary>
/// The step index of a multistep sampler (diffusers' <c>_step_index</c>): found from the first timestep seen
/// (<c>index_for_timestep</c>: the second match if the timestep occurs twice), then advanced by each step. Unlike
/// diffusers, a timestep that is not in the schedule, or that differs from the expected one later, is an error.
/// </summary>
internal sealed class StepIndexTracker<T>(IReadOnlyList<T> timesteps) where T : IEquatable<T>
{
    private int? _index;

    public int? Index => _index;

    /// <summary>The index for <paramref name="timestep"/>, initialising it on first use.</summary>
    public int Current(T timestep)
    {
        if (_index is null)
        {
            var candidates = Enumerable.Range(0, timesteps.Count).Where(i => timesteps[i].Equals(timestep)).ToList();
            if (candidates.Count == 0) throw new ArgumentException($"timestep {timestep} is not in the schedule [{string.Join(", ", timesteps)}]", nameof(timestep));
            // The sigma index that is taken for the **very** first `step` is always the second index
            // (or the last index if there is only 1) so that we don't accidentally skip a sigma when starting mid-schedule.
            _index = candidates.Count > 1 ? candidates[1] : candidates[0];
        }
        int index = _index.Value;
        if (index >= timesteps.Count) throw new InvalidOperationException($"all {timesteps.Count} steps have been taken; create a new sampler");
        if (!timesteps[index].Equals(timestep)) throw new ArgumentException($"step {index} expects timestep {timesteps[index]}, got {timestep}", nameof(timestep));
        return index;
    }

    public void Advance() => _index = (_index ?? throw new InvalidOperationException("no step taken")) + 1;
}
