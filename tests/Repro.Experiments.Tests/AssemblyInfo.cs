// Torch's thread count and default device are process-wide: tests that set them (pretraining, benchmarks, methods with
// --threads) must not run beside tests that compare results bit for bit.
[assembly: Xunit.CollectionBehavior(DisableTestParallelization = true)]
