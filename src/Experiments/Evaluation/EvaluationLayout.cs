namespace Repro.Experiments.Evaluation;

/// <summary>A generated image: method, concept, prompt index (from the file name <c>NNN_*.png</c>) and its file.</summary>
public sealed record GeneratedImage(string Method, string Concept, int PromptIndex, string Path, string? MaskPath);

/// <summary>
/// The folders <c>repro score</c> reads. Generated: <c>IMAGES/&lt;method&gt;/&lt;concept&gt;/NNN_*.png</c> (NNN = 0-based
/// line index of the prompt in the prompt file, as <c>repro generate</c> names its outputs), or
/// <c>IMAGES/&lt;concept&gt;/NNN_*.png</c> with a single method name given. Real: <c>REAL/&lt;concept&gt;/*.jpg|png</c>
/// (the DreamBooth dataset layout). Masks mirror these trees: same relative path, extension <c>.png</c>.
/// </summary>
public sealed record EvaluationLayout(IReadOnlyList<GeneratedImage> Generated, IReadOnlyDictionary<string, IReadOnlyList<EvalImage>> Real)
{
    private static readonly string[] Extensions = [".png", ".jpg", ".jpeg"];

    public static EvaluationLayout Discover(string imagesDir, string realDir, int promptCount, string? singleMethod,
                                            string? imageMasksDir, string? realMasksDir)
    {
        RequireDir(imagesDir, "generated images");
        RequireDir(realDir, "real images");
        var generated = new List<GeneratedImage>();
        var methods = singleMethod is not null
            ? [(singleMethod, imagesDir)]
            : Directory.GetDirectories(imagesDir).Order(StringComparer.Ordinal).Select(d => (Path.GetFileName(d), d)).ToList();
        foreach (var (method, methodDir) in methods)
        foreach (string conceptDir in Directory.GetDirectories(methodDir).Order(StringComparer.Ordinal))
        foreach (string file in ImagesIn(conceptDir))
        {
            string name = Path.GetFileName(file);
            int underscore = name.IndexOf('_');
            string digits = underscore > 0 ? name[..underscore] : Path.GetFileNameWithoutExtension(name);
            if (!int.TryParse(digits, out int index) || index < 0)
                throw new FormatException($"{file}: generated image names must start with the prompt index (NNN_*.png)");
            if (index >= promptCount)
                throw new FormatException($"{file}: prompt index {index} but the prompt file has {promptCount} prompts");
            generated.Add(new GeneratedImage(method, Path.GetFileName(conceptDir), index, file,
                                             MaskFor(file, imagesDir, imageMasksDir)));
        }
        if (generated.Count == 0)
            throw new FileNotFoundException($"{imagesDir}: no generated images found (expected <method>/<concept>/NNN_*.png{(singleMethod is null ? "" : " or <concept>/NNN_*.png")})");
        var real = new Dictionary<string, IReadOnlyList<EvalImage>>(StringComparer.Ordinal);
        foreach (string concept in generated.Select(g => g.Concept).Distinct())
        {
            string dir = Path.Combine(realDir, concept);
            var files = Directory.Exists(dir) ? ImagesIn(dir) : [];
            if (files.Count == 0) throw new FileNotFoundException($"{dir}: no real images for concept '{concept}'");
            real[concept] = files.Select(f => new EvalImage(f, MaskFor(f, realDir, realMasksDir))).ToList();
        }
        return new EvaluationLayout(generated, real);
    }

    /// <summary>The images (.png, .jpg, .jpeg) directly in <paramref name="dir"/>, in ordinal order.</summary>
    public static List<string> ImagesIn(string dir) =>
        Directory.GetFiles(dir).Where(f => Extensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
                 .Order(StringComparer.Ordinal).ToList();

    /// <summary>The mask of <paramref name="file"/>: same path relative to the masks root, extension .png.</summary>
    private static string? MaskFor(string file, string root, string? masksRoot)
    {
        if (masksRoot is null) return null;
        string relative = Path.GetRelativePath(root, file);
        return Path.Combine(masksRoot, Path.ChangeExtension(relative, ".png"));
    }

    private static void RequireDir(string dir, string what)
    {
        if (!Directory.Exists(dir)) throw new DirectoryNotFoundException($"{dir}: {what} folder not found");
    }
}
