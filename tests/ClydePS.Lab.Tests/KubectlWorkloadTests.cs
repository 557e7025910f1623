using System.Diagnostics;
using ClydePS.Lab;
using ClydePS.Lab.Cluster;

namespace ClydePS.Lab.Tests;

/// <summary>kubectl against workloads: get columns, rollout status, wait, logs, delete ns.</summary>
public sealed class KubectlWorkloadTests
{


    [Fact]
    public async Task Kubectl_workloads_rollout_wait_logs_and_delete_namespace()
    {
        KubectlRunner.Require();
        await using var lab = await TestLab.StartAsync(new LabOptions
        {
            Https = true, TimeScale = 100,
            Cluster = new ClusterSpec
            {
                NodeGroups =
                [
                    new NodeGroupSpec { Name = "workers", Count = 2 },
                    new NodeGroupSpec { Name = "tainted", Count = 1, NamePattern = "tainted-{0}", Taints = [new TaintSpec { Key = "dedicated", Value = "x", Effect = "NoSchedule" }] },
                ],
            },
        }, simulate: true);
        var cache = Directory.CreateTempSubdirectory("clyde-kubectl-cache-").FullName;
        try
        {
            var kc = lab.Host.KubeconfigPath;
            var manifest = Path.Combine(lab.Host.StateDir, "w.yaml");
            File.WriteAllText(manifest, """
                apiVersion: v1
                kind: Namespace
                metadata: {name: work}
                ---
                apiVersion: apps/v1
                kind: DaemonSet
                metadata: {name: agent, namespace: work}
                spec:
                  selector: {matchLabels: {app: agent}}
                  template:
                    metadata: {labels: {app: agent}}
                    spec:
                      containers: [{name: c, image: "busybox:1.36", command: [sleep, "3600"]}]
                ---
                apiVersion: apps/v1
                kind: StatefulSet
                metadata: {name: web, namespace: work}
                spec:
                  replicas: 2
                  serviceName: web
                  selector: {matchLabels: {app: web}}
                  template:
                    metadata: {labels: {app: web}}
                    spec:
                      containers: [{name: c, image: "nginx:1.27"}]
                ---
                apiVersion: batch/v1
                kind: Job
                metadata: {name: hello, namespace: work}
                spec:
                  template:
                    spec:
                      restartPolicy: Never
                      containers: [{name: c, image: "busybox:1.36", command: [sh, -c, "echo hello from job && sleep 5 && echo done"]}]
                ---
                apiVersion: batch/v1
                kind: Job
                metadata: {name: broken, namespace: work}
                spec:
                  backoffLimit: 0
                  template:
                    spec:
                      restartPolicy: Never
                      containers: [{name: c, image: "busybox:1.36", command: [sh, -c, "exit 1"]}]
                """);
            var (ac, _, aerr) = await KubectlRunner.RunWithCache(kc, cache, "apply", "-f", manifest);
            Assert.True(ac == 0, aerr);

            var (rc, rout, rerr) = await KubectlRunner.RunWithCache(kc, cache, "-n", "work", "rollout", "status", "ds/agent", "--timeout=50s");
            Assert.True(rc == 0, rout + rerr);
            Assert.Contains("daemon set \"agent\" successfully rolled out", rout);

            var (sc, sout, serr) = await KubectlRunner.RunWithCache(kc, cache, "-n", "work", "rollout", "status", "sts/web", "--timeout=50s");
            Assert.True(sc == 0, sout + serr);
            Assert.Contains("partitioned roll out complete: 2 new pods have been updated", sout);

            var (wc, wout, werr) = await KubectlRunner.RunWithCache(kc, cache, "-n", "work", "wait", "--for=condition=complete", "job/hello", "--timeout=50s");
            Assert.True(wc == 0, wout + werr);
            Assert.Contains("job.batch/hello condition met", wout);

            var (lc, lout, lerr) = await KubectlRunner.RunWithCache(kc, cache, "-n", "work", "logs", "job/hello");
            Assert.True(lc == 0, lerr);
            Assert.Equal("hello from job\ndone\n", lout);

            var (fc, fout, ferr) = await KubectlRunner.RunWithCache(kc, cache, "-n", "work", "wait", "--for=condition=failed", "job/broken", "--timeout=50s");
            Assert.True(fc == 0, fout + ferr);
            var (jc, jout, _) = await KubectlRunner.RunWithCache(kc, cache, "-n", "work", "get", "job", "broken", "-o", "jsonpath={.status.conditions[?(@.type==\"Failed\")].reason}");
            Assert.Equal(0, jc);
            Assert.Equal("BackoffLimitExceeded", jout);

            var (gc, gout, gerr) = await KubectlRunner.RunWithCache(kc, cache, "-n", "work", "get", "ds,jobs");
            Assert.True(gc == 0, gerr);
            var headers = gout.Split('\n').Where(l => l.StartsWith("NAME")).Select(l => string.Join(" ", l.Split(' ', StringSplitOptions.RemoveEmptyEntries))).ToList();
            Assert.Equal(["NAME DESIRED CURRENT READY UP-TO-DATE AVAILABLE NODE SELECTOR AGE", "NAME STATUS COMPLETIONS DURATION AGE"], headers);
            var dsRow = gout.Split('\n').Single(l => l.StartsWith("daemonset.apps/agent")).Split(' ', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(["daemonset.apps/agent", "2", "2", "2", "2", "2", "<none>"], dsRow[..7]);
            var jobRow = gout.Split('\n').Single(l => l.StartsWith("job.batch/hello")).Split(' ', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(["job.batch/hello", "Complete", "1/1"], jobRow[..3]);

            // logs -f streams until the container ends
            File.WriteAllText(manifest, """
                apiVersion: v1
                kind: Pod
                metadata: {name: talker, namespace: work}
                spec:
                  restartPolicy: Never
                  containers: [{name: c, image: "busybox:1.36", command: [sh, -c, "echo one; sleep 200; echo two"]}]
                """);
            Assert.Equal(0, (await KubectlRunner.RunWithCache(kc, cache, "apply", "-f", manifest)).Code);
            var (wr, _, wrerr) = await KubectlRunner.RunWithCache(kc, cache, "-n", "work", "wait", "--for=condition=Ready", "pod/talker", "--timeout=50s");
            Assert.True(wr == 0, wrerr);
            var (fl, flout, flerr) = await KubectlRunner.RunWithCache(kc, cache, "-n", "work", "logs", "-f", "talker");
            Assert.True(fl == 0, flerr);
            Assert.Equal("one\ntwo\n", flout);

            var (dc, dout, derr) = await KubectlRunner.RunWithCache(kc, cache, "delete", "ns", "work", "--timeout=50s");
            Assert.True(dc == 0, dout + derr);
            Assert.Contains("namespace \"work\" deleted", dout);
        }
        finally { Directory.Delete(cache, true); }
    }
}
