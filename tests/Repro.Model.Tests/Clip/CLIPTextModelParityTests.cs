using Repro.Model.Clip;
using Repro.Model.IO;
using Repro.Tests;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Repro.Model.Tests.Clip;

[Trait("Category", "Parity")]
public sealed class CLIPTextModelParityTests(ITestOutputHelper log)
{
    [Theory]
    [InlineData("clip_text_gelu", "gelu")]
    [InlineData("clip_text_quickgelu", "quick_gelu")]
    public void Matches_transformers_outputs_and_every_hidden_state(string fixture, string act)
    {
        using var _ = NewDisposeScope();
        string folder = FixturePaths.Get(fixture);
        var model = CLIPTextModel.FromPretrained(folder);
        Assert.Equal(act, model.Config.HiddenAct);
        var inputs = Safetensors.Load(Path.Combine(folder, "inputs.safetensors"));
        var expected = Safetensors.Load(Path.Combine(folder, "outputs.safetensors"));
        using var noGrad = torch.no_grad();
        var output = model.forward(inputs["input_ids"], outputHiddenStates: true);

        TensorAssert.Close($"{fixture}/last_hidden_state", output.LastHiddenState, expected["last_hidden_state"], log: log);
        TensorAssert.Close($"{fixture}/pooler_output", output.PooledOutput, expected["pooler_output"], log: log);
        Assert.NotNull(output.HiddenStates);
        Assert.Equal(model.Config.NumHiddenLayers + 1, output.HiddenStates.Count);
        for (int i = 0; i < output.HiddenStates.Count; i++)
            TensorAssert.Close($"{fixture}/hidden_states.{i}", output.HiddenStates[i], expected[$"hidden_states.{i}"], log: log);
    }

    [Fact]
    public void Inputs_embeds_reproduce_the_ids_path_and_carry_gradients_to_one_row()
    {
        using var _ = NewDisposeScope();
        string folder = FixturePaths.Get("clip_text_gelu");
        var model = CLIPTextModel.FromPretrained(folder);
        foreach (var p in model.parameters()) p.requires_grad = false;
        var ids = Safetensors.Load(Path.Combine(folder, "inputs.safetensors"))["input_ids"];
        var expected = Safetensors.Load(Path.Combine(folder, "outputs.safetensors"))["last_hidden_state"];

        // Train one row (token 5 in row 0 of the batch) as its own parameter, the textual-inversion pattern.
        var table = model.GetInputEmbeddings().weight!;
        var trained = new TorchSharp.Modules.Parameter(table[ids[0, 5]].clone());
        var baseEmbeds = table.index(ids);
        var select = torch.zeros(ids.shape[0], ids.shape[1], 1);
        select[0, 5, 0] = torch.tensor(1f);
        var embeds = baseEmbeds * (1 - select) + trained.view(1, 1, -1) * select;

        var output = model.forward(new CLIPTextInput(ids, InputsEmbeds: embeds));
        TensorAssert.Close("inputs_embeds/last_hidden_state", output.LastHiddenState, expected, log: log);
        output.LastHiddenState.pow(2).mean().backward();
        Assert.NotNull(trained.grad);
        Assert.True(trained.grad.abs().sum().item<float>() > 0, "no gradient reached the trained embedding row");
        Assert.Null(table.grad);
    }

    [Fact]
    public void Pipeline_text_encoder_with_resized_vocabulary_gives_prompt_embeds()
    {
        using var _ = NewDisposeScope();
        string folder = FixturePaths.Get("pipeline_tiny");
        var model = CLIPTextModel.FromPretrained(Path.Combine(folder, "text_encoder"));
        var inputs = Safetensors.Load(Path.Combine(folder, "inputs.safetensors"));
        var expected = Safetensors.Load(Path.Combine(folder, "outputs.safetensors"))["prompt_embeds"];
        var before = model.GetInputEmbeddings().weight!.clone();

        model.ResizeTokenEmbeddings(49409);
        model.SetTokenEmbedding(49408, inputs["learned_embedding.new_concept_v0"]);
        Assert.Equal(49409, model.Config.VocabSize);
        var after = model.GetInputEmbeddings().weight!;
        Assert.Equal([49409L, 32L], after.shape);
        Assert.True(after[..49408].allclose(before, 0, 0), "resizing changed existing rows");

        using var noGrad = torch.no_grad();
        var ids = torch.cat([inputs["uncond_input_ids"], inputs["input_ids"]], dim: 0);
        var output = model.forward(ids);
        TensorAssert.Close("pipeline_tiny/prompt_embeds", output.LastHiddenState, expected, log: log);
    }
}
