using ClydePS.Lab.Controllers;
using ClydePS.Lab.Kubelet;
using ClydePS.Lab.Resources;
using k8s.Models;

namespace ClydePS.Lab;

/// <summary>The simulations on the store: scheduler, workload controllers, garbage collector, kubelets; pod log and binding routes.</summary>
public sealed partial class LabHost
{
    readonly List<Task> _simulations = [];

    void StartSimulations()
    {
        var nodes = Registry.Nodes();
        ImagePuller = Options.ImagePuller ?? (IImagePuller?)Transfer ?? new InstantImagePuller((node, image) =>
        {
            var n = Store.Get(nodes, "", node)?.Object as V1Node;
            return n?.Status?.Images?.Any(i => i.Names?.Any(x => x == image || ImageNames.Normalize(x) == image) == true) == true;
        }, Faults, Clock);
        var ct = _stopping.Token;
        if (Transfer != null && Cluster.Network?.P2p == true && Registry.Find("apps", "v1", "daemonsets") != null)
        {
            // A node's mirror shares layers exactly when its spegel pod is Ready (LAB.md).
            var mirrors = new Images.SpegelMirrorIndex(this);
            Transfer.IsMirrorReady = mirrors.IsReady;
            _simulations.Add(Task.Run(() => mirrors.RunAsync(ct)));
        }
        if (!Options.Simulate) return;
        Kubelets = new KubeletManager(this, ImagePuller);
        var scheduler = new Scheduler.LabScheduler(this);
        _simulations.Add(Task.Run(() => scheduler.RunAsync(ct)));
        _simulations.Add(Task.Run(() => Kubelets.RunAsync(ct)));
        _simulations.Add(Task.Run(() => new GarbageCollector(this).RunAsync(ct)));
        _simulations.Add(Task.Run(() => new DaemonSetController(this).RunAsync(ct)));
        _simulations.Add(Task.Run(() => new JobController(this).RunAsync(ct)));
        _simulations.Add(Task.Run(() => new StatefulSetController(this).RunAsync(ct)));
        _simulations.Add(Task.Run(() => new ReplicaSetController(this).RunAsync(ct)));
        _simulations.Add(Task.Run(() => new DeploymentController(this).RunAsync(ct)));
    }

    void MapWorkloadRoutes(WebApplication app)
    {
        app.MapGet("/api/v1/namespaces/{ns}/pods/{name}/log", ctx => PodLogs.HandleAsync(ctx, this));
        app.MapPost("/api/v1/namespaces/{ns}/pods/{name}/binding", ctx => Scheduler.Binding.HandleAsync(ctx, this));
        app.MapPost("/api/v1/namespaces/{ns}/pods/{name}/eviction", ctx => Scheduler.Eviction.HandleAsync(ctx, this));
    }
}
