using System.Globalization;
using ClydePS.Lab.Cluster;
using Microsoft.Extensions.Logging;

namespace ClydePS.Lab;

/// <summary>How to start a Lab (the command line maps onto this one to one).</summary>
public sealed class LabOptions
{
    /// <summary>Node count when neither <see cref="Cluster"/> nor <see cref="ClusterFile"/> is given (--nodes, default 3).</summary>
    public int Nodes { get; set; } = 3;
    /// <summary>Share of public nodes, 0..1 (--public-ratio, default 0).</summary>
    public double PublicRatio { get; set; }
    /// <summary>A cluster file, YAML or JSON by extension (--cluster-file).</summary>
    public string? ClusterFile { get; set; }
    /// <summary>An in-code cluster shape; wins over <see cref="Nodes"/>/<see cref="ClusterFile"/>.</summary>
    public ClusterSpec? Cluster { get; set; }
    /// <summary>Seed for every random choice (--seed); overrides the cluster file's seed. Default 1.</summary>
    public int? Seed { get; set; }
    /// <summary>TCP port on 127.0.0.1; 0 picks a free one (--port).</summary>
    public int Port { get; set; }
    /// <summary>Serve HTTPS with a generated CA; client certificates accepted (--https).</summary>
    public bool Https { get; set; }
    /// <summary>Folder for kubeconfig, token and certificates (--state-dir); default a new temp folder, removed at exit.</summary>
    public string? StateDir { get; set; }
    /// <summary>Where the kubeconfig goes (--kubeconfig); default &lt;state-dir&gt;/kubeconfig.</summary>
    public string? KubeconfigPath { get; set; }
    /// <summary>Exit when this process dies (--parent-pid).</summary>
    public int? ParentPid { get; set; }
    /// <summary>Lab clock speed relative to wall time (--time-scale, default 1).</summary>
    public double TimeScale { get; set; } = 1;
    /// <summary>Log level for stderr logging (--log-level, default Warning).</summary>
    public LogLevel LogLevel { get; set; } = LogLevel.Warning;
    /// <summary>Interval of watch BOOKMARK events when a client allows them (default 60 s as the real server).</summary>
    public TimeSpan WatchBookmarkInterval { get; set; } = TimeSpan.FromSeconds(60);
    /// <summary>Events kept for watch replay; older resourceVersions get 410 Expired (default 10,000).</summary>
    public int WatchHistorySize { get; set; } = 10_000;
    /// <summary>Queued events per watcher before it is closed as too slow (default 10,000).</summary>
    /// <summary>Run the scheduler, the workload controllers and the simulated kubelets (default true).</summary>
    /// <summary>The image puller the kubelets use (the transfer model plugs in here); default <see cref="Kubelet.InstantImagePuller"/>.</summary>
    public Kubelet.IImagePuller? ImagePuller { get; set; }
    public bool Simulate { get; set; } = true;
    public int WatcherQueueCapacity { get; set; } = 10_000;
    /// <summary>Events expire this long (Lab time) after their last write, as kube-apiserver's --event-ttl (default 1 h).</summary>
    public TimeSpan EventTtl { get; set; } = TimeSpan.FromHours(1);
    /// <summary>
    /// Serve requests that carry no credential as an anonymous admin (--anonymous). kubectl (client-go)
    /// never sends credentials over plain http, so this is what lets kubectl use an http Lab. Requests
    /// with a wrong credential still get 401. Default off: every request needs a credential.
    /// </summary>
    public bool AllowAnonymous { get; set; }
    /// <summary>A fault plan file (JSON) in force from the start (--faults FILE).</summary>
    public string? FaultsFile { get; set; }
    /// <summary>An in-code fault plan in force from the start (wins over <see cref="FaultsFile"/>).</summary>
    public Faults.FaultPlan? FaultPlan { get; set; }
    /// <summary>Authorise every user but the Lab admin by RBAC (--rbac).</summary>
    public bool EnforceRbac { get; set; }
    /// <summary>
    /// How to start PowerShell for ClydePS's snapshot agent pods (--agent-pwsh): an executable, or a .dll run with the dotnet
    /// host the Lab runs on. Default: <c>pwsh</c> on PATH. Start-ClydeLab passes the pwsh it runs in.
    /// </summary>
    public string? AgentPwsh { get; set; }
    /// <summary>The assembled module folder whose agent/entrypoint.ps1 agent pods run (--agent-module); default the folder above the Lab's.</summary>
    public string? AgentModule { get; set; }
    /// <summary>A fixed admin token (tests); default: a new random one.</summary>
    public string? Token { get; set; }

    public static string Usage => """
        Usage: ClydePS.Lab [options]
          --nodes N            number of nodes (default 3)
          --public-ratio R     share of nodes with a public ExternalIP, 0..1 (default 0)
          --cluster-file PATH  cluster shape file (.json, else YAML); see README.md
          --seed S             seed for every random choice (default 1)
          --port P             port on 127.0.0.1, 0 = pick a free one (default 0)
          --https              serve HTTPS with a generated CA and client certificates
          --anonymous          serve requests without credentials (kubectl sends none over http)
          --state-dir DIR      folder for kubeconfig, token, certificates (default: new temp folder)
          --kubeconfig PATH    where to write the kubeconfig (default <state-dir>/kubeconfig)
          --parent-pid PID     exit when that process exits
          --time-scale K       Lab clock speed (default 1)
          --log-level LEVEL    Trace|Debug|Information|Warning|Error|None (default Warning)
          --bookmark-interval SECONDS  watch bookmark interval (default 60)
          --watch-history N    events kept for watch replay (default 10000)
          --faults FILE        fault plan (JSON) in force from the start; see README.md
          --rbac               authorise users other than the Lab admin by RBAC
          --agent-pwsh PATH    pwsh (executable or pwsh.dll) that runs snapshot agent pods (default: pwsh on PATH)
          --agent-module DIR   module folder with agent/entrypoint.ps1 (default: the folder above the Lab's)
        """;

    /// <summary>Parses command-line arguments; throws <see cref="LabOptionsException"/> on a bad option.</summary>
    public static LabOptions Parse(IReadOnlyList<string> args)
    {
        var o = new LabOptions();
        bool nodesGiven = false, ratioGiven = false;
        for (var i = 0; i < args.Count; i++)
        {
            var a = args[i];
            string? inline = null;
            var eq = a.IndexOf('=');
            if (a.StartsWith("--") && eq > 0) { inline = a[(eq + 1)..]; a = a[..eq]; }
            string Value()
            {
                if (inline is not null) return inline;
                if (i + 1 >= args.Count) throw new LabOptionsException($"option {a} needs a value");
                return args[++i];
            }
            int Int(int min, int max)
            {
                var v = Value();
                if (!int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) || n < min || n > max)
                    throw new LabOptionsException($"option {a}: \"{v}\" must be an integer from {min} to {max}");
                return n;
            }
            double Dbl(double min, double max, bool exclusiveMin = false)
            {
                var v = Value();
                if (!double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) || d > max || d < min || (exclusiveMin && d <= min) || double.IsNaN(d))
                    throw new LabOptionsException($"option {a}: \"{v}\" must be a number {(exclusiveMin ? "above" : "from")} {min.ToString(CultureInfo.InvariantCulture)}{(double.IsPositiveInfinity(max) ? "" : " to " + max.ToString(CultureInfo.InvariantCulture))}");
                return d;
            }
            switch (a)
            {
                case "--nodes": o.Nodes = Int(0, 100_000); nodesGiven = true; break;
                case "--public-ratio": o.PublicRatio = Dbl(0, 1); ratioGiven = true; break;
                case "--cluster-file":
                    o.ClusterFile = Value();
                    if (!File.Exists(o.ClusterFile)) throw new LabOptionsException($"option --cluster-file: \"{o.ClusterFile}\" does not exist");
                    break;
                case "--seed": o.Seed = Int(int.MinValue, int.MaxValue); break;
                case "--port": o.Port = Int(0, 65535); break;
                case "--https": o.Https = inline is null || inline == "true"; break;
                case "--anonymous": o.AllowAnonymous = inline is null || inline == "true"; break;
                case "--state-dir": o.StateDir = Value(); break;
                case "--kubeconfig": o.KubeconfigPath = Value(); break;
                case "--parent-pid": o.ParentPid = Int(1, int.MaxValue); break;
                case "--time-scale": o.TimeScale = Dbl(0, 1_000_000, exclusiveMin: true); break;
                case "--log-level":
                    var lv = Value();
                    if (!Enum.TryParse<LogLevel>(lv, true, out var level)) throw new LabOptionsException($"option --log-level: \"{lv}\" is not a log level");
                    o.LogLevel = level;
                    break;
                case "--bookmark-interval": o.WatchBookmarkInterval = TimeSpan.FromSeconds(Dbl(0, 86400, exclusiveMin: true)); break;
                case "--watch-history": o.WatchHistorySize = Int(1, 10_000_000); break;
                case "--faults":
                    o.FaultsFile = Value();
                    if (!File.Exists(o.FaultsFile)) throw new LabOptionsException($"option --faults: \"{o.FaultsFile}\" does not exist");
                    break;
                case "--rbac": o.EnforceRbac = inline is null || inline == "true"; break;
                case "--agent-pwsh": o.AgentPwsh = Value(); break;
                case "--agent-module": o.AgentModule = Value(); break;
                default: throw new LabOptionsException($"unknown option \"{args[i]}\"");
            }
        }
        if (o.ClusterFile is not null && (nodesGiven || ratioGiven))
            throw new LabOptionsException("--nodes and --public-ratio cannot be combined with --cluster-file");
        return o;
    }

    /// <summary>The cluster shape these options describe.</summary>
    public ClusterSpec ResolveCluster()
    {
        var spec = Cluster ?? (ClusterFile is not null ? Lab.Cluster.ClusterFile.Load(ClusterFile) : ClusterSpec.FromCounts(Nodes, PublicRatio, null));
        if (Seed is not null) spec.Seed = Seed;
        return spec;
    }
}
