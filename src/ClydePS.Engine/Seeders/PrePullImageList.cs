using ClydePS.Engine.Registry;

namespace ClydePS.Engine.Seeders;

/// <summary>One image of the pre-pull list: the reference as written, and the line it came from (0 for -Image).</summary>
public sealed record PrePullImage(string Reference, int Line);

/// <summary>
/// The pre-pull image list (<c>images.txt</c>, the original ClydeSeeder's format): one image reference per line; blank
/// lines and lines starting with <c>#</c> are ignored, as is anything after a <c> #</c> on a line. Every line is validated
/// before anything is created; the first invalid one is reported with its line number. Duplicates are kept once.
/// </summary>
public static class PrePullImageList
{
    public const string DefaultPath = "./images.txt";

    /// <summary>Parses the file's text (<paramref name="source"/> names it in errors).</summary>
    /// <exception cref="ClydeException">InvalidArgument: ClydeInvalidImageList (a line that is not an image reference),
    /// ClydeNoImages (nothing but comments and blank lines).</exception>
    public static IReadOnlyList<PrePullImage> Parse(string text, string source)
    {
        ArgumentNullException.ThrowIfNull(text);
        var images = new List<PrePullImage>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim().TrimStart('\uFEFF');
            var hash = line.IndexOf(" #", StringComparison.Ordinal);
            if (hash < 0)
            {
                hash = line.IndexOf("\t#", StringComparison.Ordinal);
            }
            if (hash >= 0)
            {
                line = line[..hash].TrimEnd();
            }
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }
            if (!ImageReference.TryParse(line, out _, out var error))
            {
                throw new ClydeException(ClydeErrorKind.InvalidArgument, SeederErrorIds.InvalidImageList,
                    $"Line {i + 1} of '{source}' is not an image reference: '{line}' ({error}). Nothing was created; fix the line or comment it out with #.",
                    $"{source}:{i + 1}");
            }
            if (seen.Add(line))
            {
                images.Add(new PrePullImage(line, i + 1));
            }
        }
        if (images.Count == 0)
        {
            throw new ClydeException(ClydeErrorKind.InvalidArgument, SeederErrorIds.NoImages,
                $"'{source}' lists no image: every line is blank or a # comment. Add one image reference per line.", source);
        }
        return images;
    }

    /// <summary>Reads and parses the file.</summary>
    /// <exception cref="ClydeException">NotFound (ClydeImageFileNotFound), Configuration (ClydeImageFileUnreadable), or see <see cref="Parse"/>.</exception>
    public static IReadOnlyList<PrePullImage> Read(string path)
    {
        if (!File.Exists(path))
        {
            throw new ClydeException(ClydeErrorKind.NotFound, SeederErrorIds.ImageFileNotFound,
                $"The image list '{path}' does not exist. Write one image reference per line into it, or pass -Image.", path);
        }
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ClydeException(ClydeErrorKind.Configuration, SeederErrorIds.ImageFileUnreadable, $"Cannot read the image list '{path}': {e.Message}", path, e);
        }
        return Parse(text, path);
    }

    /// <summary>The -Image references, each validated (position = index + 1 in errors).</summary>
    public static IReadOnlyList<PrePullImage> FromArguments(IEnumerable<string> references)
    {
        ArgumentNullException.ThrowIfNull(references);
        var images = new List<PrePullImage>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var raw in references)
        {
            var text = (raw ?? "").Trim();
            ImageReference.Parse(text);
            if (seen.Add(text))
            {
                images.Add(new PrePullImage(text, 0));
            }
        }
        if (images.Count == 0)
        {
            throw new ClydeException(ClydeErrorKind.InvalidArgument, SeederErrorIds.NoImages, "-Image names no image.", null);
        }
        return images;
    }
}
