using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ClydePS.Lab.Images;
using Microsoft.AspNetCore.Http.Features;

namespace ClydePS.Lab.Registry;

/// <summary>
/// The Lab as an anonymous OCI distribution registry *mirror* for every registry (as containerd's mirrors are
/// asked: <c>/v2/&lt;name&gt;/...?ns=&lt;upstream host&gt;</c>; no <c>ns</c> means docker.io). Serves every image of the
/// <see cref="ImageCatalog"/>: manifests and indexes with Accept negotiation, config blobs (real JSON), and layer
/// blobs whose content is deterministic filler (the declared layer digest is not its hash) streamed at the rate
/// the transfer model gives one more registry download, with the registry fault's jitter, drops and slowdown.
/// </summary>
public static class RegistryMirror
{
    const string ApiVersionHeader = "Docker-Distribution-API-Version";
    const int FillerBlock = 64 * 1024;

    public static void Map(WebApplication app, LabHost lab)
    {
        app.MapMethods("/v2", ["GET", "HEAD"], Root);
        app.MapMethods("/v2/{**rest}", ["GET", "HEAD"], ctx => HandleAsync(ctx, lab, ctx.Request.RouteValues["rest"] as string ?? ""));
        app.MapMethods("/v2/{**rest}", ["POST", "PUT", "PATCH", "DELETE"], ctx =>
            ErrorAsync(ctx, 405, "UNSUPPORTED", "the Lab's registry mirror is read-only"));
    }

    static Task Root(HttpContext ctx)
    {
        ctx.Response.Headers[ApiVersionHeader] = "registry/2.0";
        return WriteAsync(ctx, 200, "application/json", "{}"u8.ToArray(), null);
    }

    static Task HandleAsync(HttpContext ctx, LabHost lab, string rest)
    {
        ctx.Response.Headers[ApiVersionHeader] = "registry/2.0";
        if (rest.Length == 0) return Root(ctx);
        var ns = ctx.Request.Query["ns"].FirstOrDefault() is { Length: > 0 } h ? h : "docker.io";
        var m = rest.LastIndexOf("/manifests/", StringComparison.Ordinal);
        if (m > 0) return ManifestAsync(ctx, lab, ns, rest[..m], rest[(m + "/manifests/".Length)..]);
        var b = rest.LastIndexOf("/blobs/", StringComparison.Ordinal);
        if (b > 0) return BlobAsync(ctx, lab, rest[..b], rest[(b + "/blobs/".Length)..]);
        return ErrorAsync(ctx, 404, "NAME_UNKNOWN", "repository name not known to registry", new { name = rest });
    }

    static Task ManifestAsync(HttpContext ctx, LabHost lab, string ns, string name, string reference)
    {
        var catalog = lab.Images;
        var byDigest = ImageReference.IsDigest(reference);
        var text = ns + "/" + name + (byDigest ? "@" : ":") + reference;
        if (!ImageReference.TryParse(text, out var r))
            return ErrorAsync(ctx, 404, "NAME_UNKNOWN", "repository name not known to registry", new { name });
        CatalogDocument? doc = null;
        if (byDigest)
        {
            if (catalog.FindDocument(reference) is { } found && found.Image.Reference.Name == r.Name
                && found.Document.MediaType is MediaTypes.OciIndex or MediaTypes.OciManifest or MediaTypes.DockerList or MediaTypes.DockerManifest)
                doc = found.Document;
        }
        else if (catalog.Resolve(text) is { Missing: false } img)
            doc = Negotiate(img, ctx.Request.Headers.Accept.ToString());
        if (doc is null)
            return ErrorAsync(ctx, 404, "MANIFEST_UNKNOWN", "manifest unknown", byDigest ? new { digest = reference } : new { tag = reference });
        ctx.Response.Headers["Docker-Content-Digest"] = doc.Digest;
        ctx.Response.Headers.ETag = "\"" + doc.Digest + "\"";
        return WriteAsync(ctx, 200, doc.MediaType, doc.Content, null);
    }

    /// <summary>Picks the document an Accept header asks for: an index when a list type is accepted, else the linux/amd64 manifest.</summary>
    public static CatalogDocument Negotiate(CatalogImage img, string accept)
    {
        var types = accept.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(t => t.Split(';')[0].Trim()).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var any = types.Count == 0 || types.Contains("*/*");
        if (img.OciIndex is { } oci)
        {
            if (any || types.Contains(MediaTypes.OciIndex)) return oci;
            if (types.Contains(MediaTypes.DockerList)) return img.DockerIndex!;
        }
        var p = img.ForArchitecture("amd64")!;
        if (any || types.Contains(MediaTypes.OciManifest)) return p.OciManifest;
        if (types.Contains(MediaTypes.DockerManifest)) return p.DockerManifest;
        return img.OciIndex ?? p.OciManifest;
    }

    static async Task BlobAsync(HttpContext ctx, LabHost lab, string name, string digest)
    {
        if (!ImageReference.IsDigest(digest))
        {
            await ErrorAsync(ctx, 400, "DIGEST_INVALID", "provided digest did not match uploaded content", new { digest });
            return;
        }
        if (lab.Images.FindDocument(digest) is { } doc)
        {
            var bytes = doc.Document.Content;
            if (!TryRange(ctx, bytes.LongLength, out var s, out var e)) return;
            ctx.Response.Headers["Docker-Content-Digest"] = digest;
            await WriteAsync(ctx, e - s + 1 == bytes.LongLength ? 200 : 206, "application/octet-stream", bytes[(int)s..(int)(e + 1)], null);
            return;
        }
        if (lab.Images.FindLayer(digest) is not { } layer)
        {
            await ErrorAsync(ctx, 404, "BLOB_UNKNOWN", "blob unknown to registry", new { digest });
            return;
        }
        var size = layer.Layer.SizeBytes;
        if (!TryRange(ctx, size, out var start, out var end)) return;
        var length = end - start + 1;
        var res = ctx.Response;
        res.StatusCode = length == size ? 200 : 206;
        res.ContentType = "application/octet-stream";
        res.ContentLength = length;
        res.Headers["Docker-Content-Digest"] = digest;
        res.Headers.AcceptRanges = "bytes";
        res.Headers.ETag = "\"" + digest + "\"";
        if (HttpMethods.IsHead(ctx.Request.Method) || length == 0) return;
        await StreamAsync(ctx, lab, digest, start, length);
    }

    static async Task StreamAsync(HttpContext ctx, LabHost lab, string digest, long start, long length)
    {
        var puller = lab.Transfer ?? throw new InvalidOperationException("the Lab has no transfer model");
        var ct = ctx.RequestAborted;
        var fault = lab.Faults.Current.Registry;
        puller.SyncRegistryFault();
        var u = NextDouble(lab);
        var firstByte = puller.NetworkSpec.LatencyMs + puller.NetworkSpec.JitterMs * u + (fault?.JitterMs ?? 0) * u;
        long? dropAt = fault is { DropRate: > 0 } && NextDouble(lab) < fault.DropRate ? (long)(length * NextDouble(lab)) : null;
        await lab.Clock.DelayAsync(TimeSpan.FromMilliseconds(firstByte), ct);
        ctx.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        var filler = Filler(digest);
        var stream = puller.Driver.Run(n => n.StartRegistryStream(length));
        var sent = 0L;
        try
        {
            while (sent < length)
            {
                var available = puller.Driver.Run(_ => stream.BytesAvailable);
                if (dropAt is long d && available >= d)
                {
                    await WriteFiller(ctx, filler, start + sent, d - sent, ct);
                    await ctx.Response.Body.FlushAsync(ct);
                    ctx.Abort(); // the registry dropped the connection
                    return;
                }
                // write in chunks of at least 32 KiB (or what is left), then wait for the model to deliver more
                if (available - sent >= Math.Min(32 * 1024, length - sent))
                {
                    await WriteFiller(ctx, filler, start + sent, available - sent, ct);
                    sent = available;
                    await ctx.Response.Body.FlushAsync(ct);
                    continue;
                }
                await Task.WhenAny(stream.Completion, Task.Delay(10, ct));
                ct.ThrowIfCancellationRequested();
            }
        }
        catch (OperationCanceledException) { }
        catch (IOException) { }
        finally
        {
            puller.Driver.Run(_ => stream.Cancel());
        }
    }

    static double NextDouble(LabHost lab) => lab.Transfer!.NextRandom();

    static async Task WriteFiller(HttpContext ctx, byte[] filler, long offset, long count, CancellationToken ct)
    {
        while (count > 0)
        {
            var at = (int)(offset % FillerBlock);
            var n = (int)Math.Min(count, FillerBlock - at);
            await ctx.Response.Body.WriteAsync(filler.AsMemory(at, n), ct);
            offset += n;
            count -= n;
        }
    }

    /// <summary>The deterministic content of a layer: a 64 KiB block derived from its digest, repeated.</summary>
    public static byte[] Filler(string digest)
    {
        var block = new byte[FillerBlock];
        var seed = Encoding.ASCII.GetBytes(digest);
        var input = new byte[seed.Length + 4];
        seed.CopyTo(input, 0);
        for (var i = 0; i < FillerBlock / 32; i++)
        {
            BitConverter.TryWriteBytes(input.AsSpan(seed.Length), i);
            SHA256.HashData(input, block.AsSpan(i * 32, 32));
        }
        return block;
    }

    /// <summary>Parses a single <c>Range: bytes=</c> range; writes 416 and returns false when unsatisfiable.</summary>
    static bool TryRange(HttpContext ctx, long size, out long start, out long end)
    {
        start = 0;
        end = size - 1;
        var header = ctx.Request.Headers.Range.ToString();
        if (string.IsNullOrEmpty(header)) return true;
        var ok = false;
        if (header.StartsWith("bytes=", StringComparison.OrdinalIgnoreCase) && !header.Contains(','))
        {
            var spec = header[6..].Trim();
            var dash = spec.IndexOf('-');
            if (dash >= 0)
            {
                var a = spec[..dash];
                var b = spec[(dash + 1)..];
                if (a.Length == 0 && long.TryParse(b, out var suffix) && suffix > 0)
                {
                    start = Math.Max(0, size - suffix);
                    ok = size > 0;
                }
                else if (long.TryParse(a, out var s) && s < size)
                {
                    start = s;
                    if (b.Length == 0) ok = true;
                    else if (long.TryParse(b, out var e) && e >= s) { end = Math.Min(e, size - 1); ok = true; }
                }
            }
        }
        if (!ok)
        {
            ctx.Response.StatusCode = 416;
            ctx.Response.Headers.ContentRange = $"bytes */{size}";
            return false;
        }
        if (start != 0 || end != size - 1) ctx.Response.Headers.ContentRange = $"bytes {start}-{end}/{size}";
        return true;
    }

    static async Task WriteAsync(HttpContext ctx, int status, string contentType, byte[] body, string? _)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = contentType;
        ctx.Response.ContentLength = body.Length;
        if (!HttpMethods.IsHead(ctx.Request.Method)) await ctx.Response.Body.WriteAsync(body, ctx.RequestAborted);
    }

    static Task ErrorAsync(HttpContext ctx, int status, string code, string message, object? detail = null)
    {
        ctx.Response.Headers[ApiVersionHeader] = "registry/2.0";
        var body = JsonSerializer.SerializeToUtf8Bytes(new { errors = new[] { new { code, message, detail } } });
        return WriteAsync(ctx, status, "application/json; charset=utf-8", body, null);
    }
}
