using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using ClydePS.Lab;

namespace ClydePS.Lab.Tests;

public sealed class CliTests
{
    [Fact]
    public void Options_parse()
    {
        var o = LabOptions.Parse(["--nodes", "50", "--public-ratio=0.25", "--seed", "9", "--port", "0", "--https", "--time-scale", "10", "--parent-pid", "1"]);
        Assert.Equal(50, o.Nodes);
        Assert.Equal(0.25, o.PublicRatio);
        Assert.Equal(9, o.Seed);
        Assert.True(o.Https);
        Assert.Equal(10, o.TimeScale);
        Assert.Equal(1, o.ParentPid);
        Assert.Equal(3, LabOptions.Parse([]).Nodes);
    }

    [Theory]
    [InlineData("--nodes", "-1")]
    [InlineData("--nodes", "many")]
    [InlineData("--public-ratio", "1.5")]
    [InlineData("--port", "70000")]
    [InlineData("--time-scale", "0")]
    [InlineData("--bogus")]
    [InlineData("--nodes")]
    [InlineData("--cluster-file", "/does/not/exist.yaml")]
    public void Bad_options_are_rejected(params string[] args) =>
        Assert.Throws<LabOptionsException>(() => LabOptions.Parse(args));

    static string LabDll => Path.Combine(AppContext.BaseDirectory, "ClydePS.Lab.dll");

    static Process StartLab(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(LabDll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        return Process.Start(psi)!;
    }

    [Fact]
    public async Task Bad_option_exits_2_with_a_message_on_stderr()
    {
        using var p = StartLab("--nodes", "lots");
        var err = await p.StandardError.ReadToEndAsync();
        var stdout = await p.StandardOutput.ReadToEndAsync();
        await p.WaitForExitAsync();
        Assert.Equal(2, p.ExitCode);
        Assert.Contains("--nodes", err);
        Assert.Equal("", stdout);
    }

    [Fact]
    public async Task Process_prints_one_ready_line_serves_and_exits_on_sigterm()
    {
        if (OperatingSystem.IsWindows()) return;
        using var p = StartLab("--nodes", "4", "--public-ratio", "0.5", "--port", "0");
        var line = await p.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.NotNull(line);
        Assert.StartsWith("CLYDE-LAB-READY {", line);
        var info = JsonNode.Parse(line!["CLYDE-LAB-READY ".Length..])!;
        Assert.Equal(["url", "kubeconfig", "stateDir", "pid", "nodes", "readyNodes", "https", "timeScale"], info.AsObject().Select(kv => kv.Key));
        Assert.Equal(4, (int)info["nodes"]!);
        Assert.Equal(4, (int)info["readyNodes"]!);
        Assert.False((bool)info["https"]!);
        Assert.Equal(1, (double)info["timeScale"]!);
        Assert.Equal(p.Id, (int)info["pid"]!);
        var stateDir = (string)info["stateDir"]!;
        Assert.True(File.Exists((string)info["kubeconfig"]!));
        using (var http = new HttpClient { BaseAddress = new Uri((string)info["url"]!) })
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", File.ReadAllText(Path.Combine(stateDir, "token")));
            var nodes = JsonNode.Parse(await http.GetStringAsync("/api/v1/nodes"))!;
            Assert.Equal(4, nodes["items"]!.AsArray().Count);
        }
        Process.Start("kill", ["-TERM", p.Id.ToString()])!.WaitForExit();
        await p.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(15));
        Assert.Equal(0, p.ExitCode);
        Assert.False(Directory.Exists(stateDir));
        Assert.Null(await p.StandardOutput.ReadLineAsync()); // exactly one line on stdout
    }

    [Fact]
    public async Task Process_exits_when_its_parent_dies()
    {
        if (OperatingSystem.IsWindows()) return;
        using var parent = Process.Start("sleep", ["60"])!;
        using var p = StartLab("--nodes", "1", "--parent-pid", parent.Id.ToString());
        var line = await p.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.StartsWith("CLYDE-LAB-READY ", line);
        parent.Kill();
        await parent.WaitForExitAsync();
        await p.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(0, p.ExitCode);
    }
}
