using System.Diagnostics;
using ClydePS.Lab;

namespace ClydePS.Lab.Tests;

/// <summary>kubectl, a client nobody here wrote, against the Lab. client-go sends credentials only over TLS,
/// so these use --https (and --anonymous for the plain http case).</summary>
public sealed class KubectlTests
{


    [Fact]
    public async Task Kubectl_get_nodes_pods_and_wide_over_https()
    {
        KubectlRunner.Require();
        await using var lab = await TestLab.StartAsync(new LabOptions { Nodes = 3, Https = true });
        var (code, output, err) = await KubectlRunner.Run(lab.Host.KubeconfigPath, "get", "nodes");
        Assert.True(code == 0, err);
        Assert.Equal(["NAME", "STATUS", "ROLES", "AGE", "VERSION"], KubectlRunner.Header(output));
        Assert.Contains(output.Split('\n').Skip(1), l => l.StartsWith("node-000") && l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1] == "Ready");

        var (wc, wide, werr) = await KubectlRunner.Run(lab.Host.KubeconfigPath, "get", "nodes", "-o", "wide");
        Assert.True(wc == 0, werr);
        Assert.Equal(["NAME", "STATUS", "ROLES", "AGE", "VERSION", "INTERNAL-IP", "EXTERNAL-IP", "OS-IMAGE", "KERNEL-VERSION", "CONTAINER-RUNTIME"],
            KubectlRunner.Header(wide));
        Assert.Contains("INTERNAL-IP", wide);
        Assert.Contains("10.128.0.2", wide);
        Assert.Contains("containerd://1.7.", wide);

        var (pc, _, _) = await lab.PostAsync("/api/v1/namespaces/default/pods", TestLab.Pod("kubectl-pod"));
        Assert.Equal(System.Net.HttpStatusCode.Created, pc);
        var (ac, pods, aerr) = await KubectlRunner.Run(lab.Host.KubeconfigPath, "get", "pods", "-A");
        Assert.True(ac == 0, aerr);
        Assert.Equal(["NAMESPACE", "NAME", "READY", "STATUS", "RESTARTS", "AGE"], KubectlRunner.Header(pods));
        var row = pods.Split('\n').Single(l => l.Contains("kubectl-pod")).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["default", "kubectl-pod", "0/1", "Pending", "0"], row[..5]);

        // kubectl writes too: create and delete through the token context
        var (cc, _, cerr) = await KubectlRunner.Run(lab.Host.KubeconfigPath, "--context", "clyde-lab-token", "run", "by-kubectl", "--image=nginx:1.27");
        Assert.True(cc == 0, cerr);
        var (_, got, _) = await lab.GetAsync("/api/v1/namespaces/default/pods/by-kubectl");
        Assert.Equal("IfNotPresent", (string)got!["spec"]!["containers"]![0]!["imagePullPolicy"]!);
        var (dc, _, derr) = await KubectlRunner.Run(lab.Host.KubeconfigPath, "delete", "pod", "by-kubectl", "--wait=false");
        Assert.True(dc == 0, derr);
        // kubectl apply (client-side; strategic merge from compiled-in types) and server-side strict validation
        var manifest = Path.Combine(lab.Host.StateDir, "applied.yaml");
        File.WriteAllText(manifest, "apiVersion: v1\nkind: Pod\nmetadata:\n  name: applied\n  labels: {app: a}\nspec:\n  containers:\n  - name: c\n    image: busybox:1.36\n");
        var (ap1, _, aperr1) = await KubectlRunner.Run(lab.Host.KubeconfigPath, "apply", "-f", manifest);
        Assert.True(ap1 == 0, aperr1);
        File.WriteAllText(manifest, File.ReadAllText(manifest).Replace("app: a", "app: b"));
        var (ap2, apout, aperr2) = await KubectlRunner.Run(lab.Host.KubeconfigPath, "apply", "-f", manifest);
        Assert.True(ap2 == 0, aperr2);
        Assert.Contains("pod/applied configured", apout);
        var (_, applied, _) = await lab.GetAsync("/api/v1/namespaces/default/pods/applied");
        Assert.Equal("b", (string)applied!["metadata"]!["labels"]!["app"]!);
        File.WriteAllText(manifest, File.ReadAllText(manifest).Replace("name: applied", "name: strict") + "  foo: 1\n");
        var (sc, _, serr) = await KubectlRunner.Run(lab.Host.KubeconfigPath, "create", "-f", manifest);
        Assert.NotEqual(0, sc);
        Assert.Contains("strict decoding error: unknown field \"spec.foo\"", serr);

        var (nc, ns, nerr) = await KubectlRunner.Run(lab.Host.KubeconfigPath, "get", "ns");
        Assert.True(nc == 0, nerr);
        Assert.Equal(["NAME", "STATUS", "AGE"], KubectlRunner.Header(ns));
    }

    [Fact]
    public async Task Kubectl_over_http_with_anonymous()
    {
        KubectlRunner.Require();
        await using var lab = await TestLab.StartAsync(new LabOptions { Nodes = 2, AllowAnonymous = true });
        var (code, output, err) = await KubectlRunner.Run(lab.Host.KubeconfigPath, "get", "nodes");
        Assert.True(code == 0, err);
        Assert.Equal(["NAME", "STATUS", "ROLES", "AGE", "VERSION"], KubectlRunner.Header(output));
        Assert.Contains("Ready", output);
    }
}
