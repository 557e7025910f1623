using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using ClydePS.Lab.Api;
using ClydePS.Lab.Auth;
using ClydePS.Lab.Cluster;
using ClydePS.Lab.Faults;
using ClydePS.Lab.Images;
using ClydePS.Lab.Kubelet;
using ClydePS.Lab.Registry;
using ClydePS.Lab.Resources;
using ClydePS.Lab.Store;
using k8s.Models;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ClydePS.Lab;

/// <summary>
/// A running Lab: the emulated Kubernetes API server on 127.0.0.1, its store and cluster. Start with
/// <see cref="StartAsync"/>, stop with <see cref="DisposeAsync"/>. Background simulations (controllers,
/// kubelets) attach to <see cref="Store"/> and write through <see cref="Rest"/>.
/// </summary>
public sealed partial class LabHost : IAsyncDisposable
{
    WebApplication? _app;
    readonly CancellationTokenSource _stopping = new();
    readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    bool _ownsStateDir;
    int _disposed;

    public LabOptions Options { get; }
    public string Url { get; private set; } = "";
    public int Port { get; private set; }
    public string StateDir { get; private set; } = "";
    public string KubeconfigPath { get; private set; } = "";
    public string TokenPath { get; private set; } = "";
    public string Token { get; private set; } = "";
    public bool Https => Options.Https;
    public LabCertificates? Certificates { get; private set; }
    public ResourceRegistry Registry { get; }
    public ObjectStore Store { get; }
    public LabClock Clock { get; }
    public RequestStats Stats { get; } = new();
    public RestHandler Rest { get; }
    public ClusterSpec Cluster { get; private set; } = new();
    /// <summary>The fault plan the Lab's parts read (API, nodes, pulls, pods).</summary>
    public Faults.FaultState Faults { get; } = new();
    /// <summary>Writes core/v1 Events for the scheduler, controllers and kubelets.</summary>
    public Controllers.EventRecorder Events { get; private set; } = null!;
    /// <summary>What containers do (extension point for pod roles and commands).</summary>
    public Kubelet.KnownPrograms Programs { get; } = new();
    /// <summary>The simulated kubelets (null when <see cref="LabOptions.Simulate"/> is false).</summary>
    public Kubelet.KubeletManager? Kubelets { get; private set; }
    public int NodeCount { get; private set; }
    /// <summary>The images the Lab knows (cluster file <c>images:</c> plus synthetic ones).</summary>
    public ImageCatalog Images { get; private set; } = new();
    /// <summary>The transfer-model puller (also feeds the registry mirror's blob streams).</summary>
    public TransferImagePuller? Transfer { get; private set; }
    /// <summary>How simulated kubelets pull images: <see cref="LabOptions.ImagePuller"/> when set, else <see cref="Transfer"/>.</summary>
    public IImagePuller ImagePuller { get; set; } = null!;
    /// <summary>The registry mirror's base URL (the Lab's own URL; routes under <c>/v2/</c>).</summary>
    public string RegistryMirrorUrl => Url;
    public int ReadyNodeCount { get; private set; }
    /// <summary>Bearer tokens of test users and service accounts (TokenRequest).</summary>
    public Rbac.TokenUsers Tokens { get; }
    /// <summary>The platform controllers (service accounts, endpoints, load balancers, node lifecycle, ...).</summary>
    public Controllers.PlatformControllers? Platform { get; private set; }
    /// <summary>Completes when the Lab stops by itself (its parent process died).</summary>
    public Task Stopped => _stopped.Task;

    LabHost(LabOptions options)
    {
        Options = options;
        Clock = new LabClock(options.TimeScale);
        Tokens = new Rbac.TokenUsers(Clock);
        Registry = CoreResources.CreateRegistry();
        Store = new ObjectStore(Registry, options.WatchHistorySize, options.WatcherQueueCapacity)
        {
            NamespacesDefinition = Registry.Namespaces(),
        };
        var watch = new WatchHandler(Store, Clock, options.WatchBookmarkInterval);
        Rest = new RestHandler(Store, Clock, Stats, watch, new Random(options.Seed ?? 1));
    }

    /// <summary>Starts a Lab. Throws <see cref="LabOptionsException"/> for bad options or cluster files.</summary>
    public static async Task<LabHost> StartAsync(LabOptions options, CancellationToken cancellationToken = default)
    {
        var lab = new LabHost(options);
        try
        {
            await lab.StartCoreAsync(cancellationToken);
            return lab;
        }
        catch
        {
            await lab.DisposeAsync();
            throw;
        }
    }

    async Task StartCoreAsync(CancellationToken ct)
    {
        var o = Options;
        if (o.ParentPid is int ppid && !ParentAlive(ppid)) throw new LabOptionsException($"parent process {ppid} is not running");
        Cluster = o.ResolveCluster();
        var nodes = NodeFactory.Build(Cluster, Clock.UtcNowSeconds);
        Images = new ImageCatalog(Cluster.Images);
        Transfer = new TransferImagePuller(Images, Cluster, Store, Clock, Faults, Cluster.Seed ?? 1);
        ImagePuller = Transfer;
        Programs.Add(Roles.ProbeRole.Recognize);
        Programs.Add(Roles.SeedRole.Recognize);
        Programs.Add(Roles.AgentRole.Recognize);

        if (o.StateDir is null)
        {
            StateDir = Path.Combine(Path.GetTempPath(), "clyde-lab-" + Guid.NewGuid().ToString("N")[..12]);
            _ownsStateDir = true;
        }
        else StateDir = Path.GetFullPath(o.StateDir);
        Directory.CreateDirectory(StateDir);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(StateDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        Token = o.Token ?? Authenticator.NewToken();
        TokenPath = Path.Combine(StateDir, "token");
        KubeconfigWriter.WritePrivateFile(TokenPath, Token);
        if (o.Https)
        {
            Certificates = LabCertificates.Generate();
            KubeconfigWriter.WritePrivateFile(Path.Combine(StateDir, "ca.crt"), LabCertificates.CertificatePem(Certificates.Ca));
            KubeconfigWriter.WritePrivateFile(Path.Combine(StateDir, "admin.crt"), LabCertificates.CertificatePem(Certificates.AdminClient));
            KubeconfigWriter.WritePrivateFile(Path.Combine(StateDir, "admin.key"), LabCertificates.PrivateKeyPem(Certificates.AdminClient));
        }
        var auth = new Authenticator(Token, Certificates, o.AllowAnonymous, Tokens.Find);

        SeedObjects(nodes);
        Events = new Controllers.EventRecorder(this);
        _ = Events.RunTtlAsync(o.EventTtl, _stopping.Token);
        Platform = Controllers.PlatformSetup.Start(this);
        if (Cluster.Network?.P2p == true) SpegelInstall.Create(this);

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args = [],
            ApplicationName = typeof(LabHost).Assembly.GetName().Name,
            ContentRootPath = StateDir,
        });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(c => c.SingleLine = true);
        builder.Logging.AddFilter((_, _, level) => level >= o.LogLevel);
        builder.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(c => c.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Services.AddSingleton<IHostLifetime, NoSignalLifetime>();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = 64 * 1024 * 1024;
            k.Listen(IPAddress.Loopback, o.Port, listen =>
            {
                if (Certificates is null) return;
                listen.UseHttps(new HttpsConnectionAdapterOptions
                {
                    ServerCertificate = Certificates.Server,
                    ClientCertificateMode = Microsoft.AspNetCore.Server.Kestrel.Https.ClientCertificateMode.AllowCertificate,
                    ClientCertificateValidation = (_, _, _) => true, // checked against the Lab CA per request (bad cert -> 401, as the real server)
                });
            });
        });
        var app = builder.Build();
        _app = app;

        app.Use(async (ctx, next) =>
        {
            if (ctx.Request.Path.StartsWithSegments("/v2")) { await next(ctx); return; } // the registry mirror is anonymous
            if (auth.Authenticate(ctx) is not { } user)
            {
                await ResponseWriter.WriteErrorAsync(ctx, ApiException.Unauthorized());
                return;
            }
            ctx.Items["lab.user"] = user;
            await next(ctx);
        });
        ClydePS.Lab.Faults.ApiFaultInjector.Use(app, this);
        Rbac.AuthorizationMiddleware.Use(app, this);
        MapRoutes(app);
        await app.StartAsync(ct);

        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Port = new Uri(address.Replace("[::]", "127.0.0.1")).Port;
        Url = $"{(o.Https ? "https" : "http")}://127.0.0.1:{Port}";
        KubeconfigPath = Path.GetFullPath(o.KubeconfigPath ?? Path.Combine(StateDir, "kubeconfig"));
        KubeconfigWriter.WritePrivateFile(KubeconfigPath, KubeconfigWriter.Render(Url, Token, o.TimeScale, Certificates, registryMirror: Url));

        if (o.ParentPid is int pid) _ = WatchParentAsync(pid);
        StartSimulations();
    }

    void SeedObjects(List<V1Node> nodes)
    {
        var nsDef = Registry.Namespaces();
        foreach (var name in new[] { "default", "kube-node-lease", "kube-public", "kube-system" })
            Rest.CreateObject(nsDef, null, new V1Namespace { Metadata = new V1ObjectMeta { Name = name } });
        var nodeDef = Registry.Nodes();
        foreach (var n in nodes)
        {
            nodeDef.Defaulter?.Invoke(n);
            Store.Create(nodeDef, n);
        }
        NodeCount = nodes.Count;
        ReadyNodeCount = nodes.Count(n => n.Status.Conditions.Any(c => c.Type == "Ready" && c.Status == "True"));
    }

    void MapRoutes(WebApplication app)
    {
        app.MapGet("/version", ctx => ResponseWriter.WriteBytesAsync(ctx, 200, Discovery.Version()));
        foreach (var p in new[] { "/healthz", "/livez", "/readyz" })
            app.MapGet(p, ctx => ResponseWriter.WriteBytesAsync(ctx, 200, "ok"u8.ToArray(), "text/plain; charset=utf-8"));
        app.MapGet("/api", ctx => ResponseWriter.WriteBytesAsync(ctx, 200, Discovery.ApiVersions($"127.0.0.1:{Port}")));
        app.MapGet("/apis", ctx => ResponseWriter.WriteBytesAsync(ctx, 200, Discovery.ApiGroupList(Registry)));
        app.MapGet("/api/{version}", ctx => WriteResourceList(ctx, "", (string)ctx.Request.RouteValues["version"]!));
        app.MapGet("/apis/{group}/{version}", ctx => WriteResourceList(ctx, (string)ctx.Request.RouteValues["group"]!, (string)ctx.Request.RouteValues["version"]!));
        app.MapGet("/openapi/v3", ctx => ResponseWriter.WriteBytesAsync(ctx, 200, Discovery.OpenApiV3Index(Registry)));
        app.MapGet("/openapi/v3/api/{version}", ctx => ResponseWriter.WriteBytesAsync(ctx, 200, Discovery.OpenApiV3Document(Registry, "", (string)ctx.Request.RouteValues["version"]!)));
        app.MapGet("/openapi/v3/apis/{group}/{version}", ctx => ResponseWriter.WriteBytesAsync(ctx, 200,
            Discovery.OpenApiV3Document(Registry, (string)ctx.Request.RouteValues["group"]!, (string)ctx.Request.RouteValues["version"]!)));
        app.Map("/api/{version}/{**rest}", ctx =>
            Rest.HandleAsync(ctx, "", (string)ctx.Request.RouteValues["version"]!, ctx.Request.RouteValues["rest"] as string ?? ""));
        app.Map("/apis/{group}/{version}/{**rest}", ctx =>
            Rest.HandleAsync(ctx, (string)ctx.Request.RouteValues["group"]!, (string)ctx.Request.RouteValues["version"]!, ctx.Request.RouteValues["rest"] as string ?? ""));
        ControlEndpoints.Map(app, this);
        RegistryMirror.Map(app, this);
        MapWorkloadRoutes(app);
        app.MapFallback(ctx => ResponseWriter.WriteBytesAsync(ctx, 404, "404 page not found\n"u8.ToArray(), "text/plain; charset=utf-8"));
    }

    Task WriteResourceList(HttpContext ctx, string group, string version)
    {
        var body = Discovery.ResourceList(Registry, group, version);
        return body is null
            ? ResponseWriter.WriteBytesAsync(ctx, 404, "404 page not found\n"u8.ToArray(), "text/plain; charset=utf-8")
            : ResponseWriter.WriteBytesAsync(ctx, 200, body);
    }

    /// <summary>The one line the CLI prints when ready: CLYDE-LAB-READY {json}.</summary>
    public string ReadyLine
    {
        get
        {
            using var ms = new MemoryStream();
            using (var w = new Utf8JsonWriter(ms, StatusWriter.WriterOptions))
            {
                w.WriteStartObject();
                w.WriteString("url", Url);
                w.WriteString("kubeconfig", KubeconfigPath);
                w.WriteString("stateDir", StateDir);
                w.WriteNumber("pid", Environment.ProcessId);
                w.WriteNumber("nodes", NodeCount);
                w.WriteNumber("readyNodes", ReadyNodeCount);
                w.WriteBoolean("https", Https);
                w.WriteNumber("timeScale", Options.TimeScale);
                w.WriteEndObject();
            }
            return "CLYDE-LAB-READY " + Encoding.UTF8.GetString(ms.ToArray());
        }
    }

    static bool ParentAlive(int pid)
    {
        if (OperatingSystem.IsLinux())
        {
            try
            {
                var stat = File.ReadAllText($"/proc/{pid}/stat");
                var state = stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[0];
                return state is not ("Z" or "X");
            }
            catch (IOException) { return false; }
            catch (UnauthorizedAccessException) { return true; }
        }
        try
        {
            using var p = Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException) { return false; }
        catch (InvalidOperationException) { return false; }
    }

    async Task WatchParentAsync(int pid)
    {
        try
        {
            using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(250));
            while (await timer.WaitForNextTickAsync(_stopping.Token))
            {
                if (!ParentAlive(pid))
                {
                    _stopped.TrySetResult();
                    return;
                }
            }
        }
        catch (OperationCanceledException) { }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        _stopping.Cancel();
        if (Platform is not null) await Platform.DisposeAsync();
        Store.CloseAllWatchers();
        if (_app is not null)
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            try { await _app.StopAsync(cts.Token); } catch (OperationCanceledException) { }
            await _app.DisposeAsync();
        }
        if (Transfer is not null) await Transfer.DisposeAsync();
        Certificates?.Dispose();
        if (_ownsStateDir && Directory.Exists(StateDir))
        {
            try { Directory.Delete(StateDir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
        _stopped.TrySetResult();
    }

    /// <summary>Leaves signal handling to the caller (the CLI handles SIGTERM/Ctrl+C; in-process hosts must not steal them).</summary>
    sealed class NoSignalLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
