using System.Globalization;
using System.Text;
using k8s.Models;

namespace ClydePS.Lab.Kubelet;

/// <summary>What a recognizer sees: the pod, the container, its command line and whether its image has a shell.</summary>
public sealed class ProgramContext
{
    public required LabHost Lab { get; init; }
    public required V1Pod Pod { get; init; }
    public required V1Container Container { get; init; }
    public required bool IsInit { get; init; }
    public required bool HasShell { get; init; }
    /// <summary>command + args (empty when the image's entrypoint runs).</summary>
    public required IReadOnlyList<string> Argv { get; init; }
    public string? Role => Pod.Metadata.Labels?.TryGetValue("clydeps.io/role", out var r) == true ? r : null;
    public string RestartPolicy => Pod.Spec?.RestartPolicy ?? "Always";
}

/// <summary>One run of a container's program: Lab time, log output, stop signal.</summary>
public sealed class ProgramRun
{
    readonly Action<string> _log;
    public ProgramRun(LabHost lab, V1Pod pod, V1Container container, Action<string> log, CancellationToken stopping)
    {
        Lab = lab;
        Pod = pod;
        Container = container;
        _log = log;
        Stopping = stopping;
    }

    public LabHost Lab { get; }
    public V1Pod Pod { get; }
    public V1Container Container { get; }
    /// <summary>Cancelled when the container is killed (deletion, liveness failure).</summary>
    public CancellationToken Stopping { get; }
    public LabClock Clock => Lab.Clock;
    /// <summary>Writes one line to the container's log (stamped with the Lab clock).</summary>
    public void Log(string line) => _log(line);
    public Task DelayAsync(TimeSpan labTime) => Lab.Clock.DelayAsync(labTime, Stopping);
}

/// <summary>A simulated program. <see cref="RunAsync"/> returns the exit code; it is cancelled on kill.</summary>
public abstract class ContainerProgram
{
    /// <summary>A start failure (exec of a missing binary): the container never runs, reason StartError, exit 128.</summary>
    public virtual string? StartError => null;
    /// <summary>True for PID 1 programs that ignore SIGTERM (sleep, sh): a kill waits the grace period, exit 137.</summary>
    public virtual bool IgnoresSigterm => false;
    public abstract Task<int> RunAsync(ProgramRun run);
}

/// <summary>
/// The extension point choosing what a container does. Recognizers run newest first; the first non-null answer wins,
/// else the built-in busybox/shell programs, else the unknown-program rule (exits 0 under restartPolicy Never/OnFailure,
/// runs otherwise). Add ClydePS pod roles (by <see cref="ProgramContext.Role"/>, the <c>clydeps.io/role</c> label) and
/// other commands (nslookup) with <see cref="Add"/>.
/// </summary>
public sealed class KnownPrograms
{
    readonly List<Func<ProgramContext, ContainerProgram?>> _recognizers = [];
    readonly object _gate = new();

    public void Add(Func<ProgramContext, ContainerProgram?> recognizer)
    {
        lock (_gate) _recognizers.Insert(0, recognizer);
    }

    public ContainerProgram Choose(ProgramContext ctx)
    {
        List<Func<ProgramContext, ContainerProgram?>> list;
        lock (_gate) list = [.. _recognizers];
        foreach (var r in list)
            if (r(ctx) is { } p) return p;
        return Builtin(ctx) ?? Unknown(ctx);
    }

    public static ContainerProgram Unknown(ProgramContext ctx) =>
        ctx.RestartPolicy is "Never" or "OnFailure" || ctx.IsInit ? new ExitProgram(0) : new RunForeverProgram();

    public static string ExecNotFound(string exe) =>
        $"failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: error during container init: exec: \"{exe}\": executable file not found in $PATH: unknown";

    static readonly HashSet<string> Shells = ["sh", "bash", "ash", "/bin/sh", "/bin/bash", "/bin/ash", "/usr/bin/bash", "/usr/bin/sh"];
    static readonly HashSet<string> Utilities = ["sleep", "echo", "true", "false", "/bin/sleep", "/bin/echo", "/bin/true", "/bin/false", "/usr/bin/sleep", "/usr/bin/echo", "/usr/bin/true", "/usr/bin/false", "nslookup", "/bin/nslookup", "/usr/bin/nslookup"];

    /// <summary>busybox/sh programs: sleep N, echo ..., exit N, true, false, and sh -c joining them with &amp;&amp; or ;.</summary>
    static ContainerProgram? Builtin(ProgramContext ctx)
    {
        var argv = ctx.Argv;
        if (argv.Count == 0) return null;
        var exe = argv[0];
        if (Shells.Contains(exe))
        {
            if (!ctx.HasShell) return new StartErrorProgram(ExecNotFound(exe));
            if (argv.Count >= 3 && argv[1] == "-c")
            {
                var script = ParseScript(PrepareScript(argv[2], ctx.Pod.Metadata?.NamespaceProperty ?? "default"));
                return script is null ? null : new ScriptProgram(script, ignoresSigterm: true);
            }
            if (argv.Count == 1) return new ExitProgram(0); // sh without a terminal reads EOF and exits
            return null;
        }
        if (exe == "exit") return new StartErrorProgram(ExecNotFound(exe));
        if (Utilities.Contains(exe))
        {
            if (!ctx.HasShell) return new StartErrorProgram(ExecNotFound(exe));
            var step = ParseStep(argv.Select((a, i) => i == 0 ? Path.GetFileName(a) : a).ToList());
            return step is null ? null : new ScriptProgram([(step, "")], ignoresSigterm: true);
        }
        return null;
    }

    /// <summary>
    /// What the Lab understands of a script beyond its steps: the pod's namespace read from the service-account mount
    /// (as the Kubernetes docs' init-container example does), and output sent to /dev/null.
    /// </summary>
    static string PrepareScript(string script, string ns)
    {
        script = script.Replace("$(cat /var/run/secrets/kubernetes.io/serviceaccount/namespace)", ns, StringComparison.Ordinal);
        script = System.Text.RegularExpressions.Regex.Replace(script, @"\s*(?:2>>?\s*/dev/null|[12]>&[12])", "");
        return System.Text.RegularExpressions.Regex.Replace(script, @"\s*1?>>?\s*/dev/null", " " + QuietMark);
    }

    const string QuietMark = "\u0001";

    public abstract record Step;
    /// <summary>busybox nslookup of a cluster name (see <see cref="Nslookup"/>).</summary>
    public sealed record NslookupStep(string Host) : Step;
    /// <summary><c>until COND; do BODY; done</c> (or <c>while</c>, which loops while COND succeeds).</summary>
    public sealed record LoopStep(List<(Step Step, string Separator)> Condition, List<(Step Step, string Separator)> Body, bool While) : Step;
    /// <summary>A step whose output goes to /dev/null.</summary>
    public sealed record QuietStep(Step Inner) : Step;
    /// <summary><c>! step</c>: the status negated.</summary>
    public sealed record NotStep(Step Inner) : Step;
    public sealed record SleepStep(TimeSpan Duration) : Step;
    public sealed record EchoStep(string Text) : Step;
    public sealed record ExitStep(int Code) : Step;
    public sealed record StatusStep(int Code) : Step;

    /// <summary>
    /// Parses "a &amp;&amp; b ; c" into steps with the separator before each, including
    /// <c>until a; do b; c; done</c> and <c>while ...</c> loops (null when anything is unknown).
    /// </summary>
    public static List<(Step Step, string Separator)>? ParseScript(string script)
    {
        var parts = new List<(List<string> Words, string Next)>();
        foreach (var (part, next) in Split(script))
        {
            var words = Words(part);
            if (words is null) return null;
            parts.Add((words, next));
        }
        var i = 0;
        var result = ParseSequence(parts, ref i, null);
        return result is null || result.Count == 0 ? null : result;
    }

    static List<(Step, string)>? ParseSequence(List<(List<string> Words, string Next)> parts, ref int i, string? until)
    {
        var result = new List<(Step, string)>();
        var sep = "";
        while (i < parts.Count)
        {
            var (words, next) = parts[i];
            if (words.Count == 0)
            {
                if (next == "&&") return null;
                i++;
                continue;
            }
            if (until is not null && words[0] == until) return result;
            Step? step;
            var quiet = false;
            if (words[0] is "until" or "while")
            {
                var isWhile = words[0] == "while";
                parts[i] = (words.Skip(1).ToList(), next);
                var cond = ParseSequence(parts, ref i, "do");
                if (cond is not { Count: > 0 } || i >= parts.Count) return null;
                parts[i] = (parts[i].Words.Skip(1).ToList(), parts[i].Next);
                var body = ParseSequence(parts, ref i, "done");
                if (body is null || i >= parts.Count || parts[i].Words.Count != 1) return null;
                next = parts[i].Next;
                step = new LoopStep(cond, body, isWhile);
            }
            else if ((quiet = words.Remove(QuietMark)) && words.Count == 0) return null;
            else if (words[0] == "!" && words.Count > 1)
            {
                step = ParseStep(words.Skip(1).ToList()) is { } inner ? new NotStep(inner) : null;
            }
            else step = ParseStep(words);
            if (step is null) return null;
            if (quiet) step = new QuietStep(step);
            result.Add((step, sep));
            sep = next;
            i++;
        }
        return until is null ? result : null;
    }

    static IEnumerable<(string Part, string Next)> Split(string s)
    {
        var sb = new StringBuilder();
        char quote = '\0';
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            if (quote != '\0') { if (c == quote) quote = '\0'; sb.Append(c); continue; }
            if (c is '"' or '\'') { quote = c; sb.Append(c); continue; }
            if (c == ';' || c == '\n') { yield return (sb.ToString(), ";"); sb.Clear(); continue; }
            if (c == '&' && i + 1 < s.Length && s[i + 1] == '&') { yield return (sb.ToString(), "&&"); sb.Clear(); i++; continue; }
            if (c is '|' or '&' or '>' or '<' or '$' or '`' or '(' or ')') { yield return ("\u0000", ""); yield break; }
            sb.Append(c);
        }
        yield return (sb.ToString(), "");
    }

    static List<string>? Words(string part)
    {
        if (part.Contains('\u0000')) return null;
        var words = new List<string>();
        var sb = new StringBuilder();
        var inWord = false;
        char quote = '\0';
        foreach (var c in part)
        {
            if (quote != '\0')
            {
                if (c == quote) quote = '\0';
                else sb.Append(c);
                continue;
            }
            if (c is '"' or '\'') { quote = c; inWord = true; continue; }
            if (char.IsWhiteSpace(c))
            {
                if (inWord) { words.Add(sb.ToString()); sb.Clear(); inWord = false; }
                continue;
            }
            sb.Append(c);
            inWord = true;
        }
        if (quote != '\0') return null;
        if (inWord) words.Add(sb.ToString());
        return words;
    }

    static Step? ParseStep(List<string> w)
    {
        switch (w[0])
        {
            case "true": return w.Count == 1 ? new StatusStep(0) : null;
            case "nslookup": return w.Count is 2 or 3 && !w[1].StartsWith('-') ? new NslookupStep(w[1]) : null;
            case "false": return w.Count == 1 ? new StatusStep(1) : null;
            case "exit": return w.Count == 1 ? new ExitStep(0) : w.Count == 2 && int.TryParse(w[1], out var code) ? new ExitStep(code & 255) : null;
            case "echo":
                var args = w.Skip(1).ToList();
                if (args.Count > 0 && args[0] == "-n") args.RemoveAt(0);
                return new EchoStep(string.Join(" ", args));
            case "sleep":
                if (w.Count != 2) return null;
                if (w[1] == "infinity") return new SleepStep(TimeSpan.MaxValue);
                var unit = w[1][^1] switch { 's' => 1, 'm' => 60, 'h' => 3600, 'd' => 86400, _ => 0 };
                var num = unit == 0 ? w[1] : w[1][..^1];
                if (unit == 0) unit = 1;
                return double.TryParse(num, NumberStyles.Float, CultureInfo.InvariantCulture, out var secs) && secs >= 0
                    ? new SleepStep(TimeSpan.FromSeconds(secs * unit)) : null;
            default: return null;
        }
    }
}

public sealed class ScriptProgram(List<(KnownPrograms.Step Step, string Separator)> steps, bool ignoresSigterm) : ContainerProgram
{
    public override bool IgnoresSigterm => ignoresSigterm;

    public override async Task<int> RunAsync(ProgramRun run)
    {
        var (_, code) = await RunSequenceAsync(run, steps);
        return code;
    }

    /// <summary>Runs steps; Exited when an <c>exit</c> ended the whole script.</summary>
    static async Task<(bool Exited, int Code)> RunSequenceAsync(ProgramRun run, List<(KnownPrograms.Step Step, string Separator)> seq)
    {
        var last = 0;
        foreach (var (step, sep) in seq)
        {
            if (sep == "&&" && last != 0) continue;
            var (exited, code) = await RunStepAsync(run, step);
            if (exited) return (true, code);
            last = code;
        }
        return (false, last);
    }

    static async Task<(bool Exited, int Code)> RunStepAsync(ProgramRun run, KnownPrograms.Step step)
    {
        switch (step)
        {
            case KnownPrograms.SleepStep s:
                if (s.Duration == TimeSpan.MaxValue) await Task.Delay(Timeout.Infinite, run.Stopping);
                else await run.DelayAsync(s.Duration);
                return (false, 0);
            case KnownPrograms.EchoStep e:
                run.Log(e.Text);
                return (false, 0);
            case KnownPrograms.StatusStep st:
                return (false, st.Code);
            case KnownPrograms.ExitStep x:
                return (true, x.Code);
            case KnownPrograms.NslookupStep n:
                return (false, Nslookup.Run(run.Lab, run.Pod.Metadata?.NamespaceProperty ?? "default", n.Host, run.Log));
            case KnownPrograms.QuietStep q:
                return await RunStepAsync(new ProgramRun(run.Lab, run.Pod, run.Container, _ => { }, run.Stopping), q.Inner);
            case KnownPrograms.NotStep not:
                var (ex, c) = await RunStepAsync(run, not.Inner);
                return ex ? (true, c) : (false, c == 0 ? 1 : 0);
            case KnownPrograms.LoopStep loop:
                var status = 0;
                while (true)
                {
                    run.Stopping.ThrowIfCancellationRequested();
                    var (cx, cc) = await RunSequenceAsync(run, loop.Condition);
                    if (cx) return (true, cc);
                    if (loop.While ? cc != 0 : cc == 0) return (false, status);
                    var started = run.Clock.UtcNow;
                    var (bx, bc) = await RunSequenceAsync(run, loop.Body);
                    if (bx) return (true, bc);
                    status = bc;
                    // a body that never waits would spin: a shell takes some time per round too
                    if (run.Clock.UtcNow - started < TimeSpan.FromMilliseconds(100)) await run.DelayAsync(TimeSpan.FromSeconds(1));
                }
            default:
                return (false, 0);
        }
    }
}

public sealed class ExitProgram(int code) : ContainerProgram
{
    public override Task<int> RunAsync(ProgramRun run) => Task.FromResult(code);
}

public sealed class RunForeverProgram : ContainerProgram
{
    public override async Task<int> RunAsync(ProgramRun run)
    {
        await Task.Delay(Timeout.Infinite, run.Stopping);
        return 0;
    }
}

public sealed class StartErrorProgram(string message) : ContainerProgram
{
    public override string? StartError => message;
    public override Task<int> RunAsync(ProgramRun run) => Task.FromResult(128);
}
