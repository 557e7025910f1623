using System.Diagnostics;

namespace ClydePS.Lab.Tests;

/// <summary>
/// Runs kubectl (the Google Cloud SDK dispatcher at /usr/bin/kubectl, an independent client of the Lab) with a
/// given kubeconfig and a fresh discovery cache, so a cached discovery for a reused port never hides a bug.
/// </summary>
public static class KubectlRunner
{
    public const string Kubectl = "/usr/bin/kubectl";

    /// <summary>kubectl is part of the test bed: its absence fails the test instead of skipping it silently.</summary>
    public static void Require() =>
        Assert.True(File.Exists(Kubectl), $"{Kubectl} is missing: the Lab's kubectl tests need kubectl on this machine.");

    public static async Task<(int Code, string Out, string Err)> Run(string kubeconfig, params string[] args)
    {
        var cache = Directory.CreateTempSubdirectory("clyde-kubectl-cache-");
        try
        {
            return await RunWithCache(kubeconfig, cache.FullName, args);
        }
        finally { cache.Delete(true); }
    }

    /// <summary>With a caller-owned cache folder (several calls sharing one discovery).</summary>
    public static async Task<(int Code, string Out, string Err)> RunWithCache(string kubeconfig, string cache, params string[] args)
    {
        var psi = new ProcessStartInfo(Kubectl) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "--kubeconfig", kubeconfig, "--cache-dir", cache }.Concat(args)) psi.ArgumentList.Add(a);
        psi.Environment.Remove("KUBECONFIG");
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await p.WaitForExitAsync(cts.Token);
        return (p.ExitCode, await stdout, await stderr);
    }

    /// <summary>The column names of kubectl's table output.</summary>
    public static string[] Header(string output) => output.Split('\n')[0].Split(' ', StringSplitOptions.RemoveEmptyEntries);
}
