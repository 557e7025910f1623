using ClydePS.Engine.Seeding;
using ClydePS.Lab.Kubelet;

namespace ClydePS.Lab.Roles;

/// <summary>
/// The Lab's simulation of ClydePS's seed pods and pre-pull pods (roles <c>clydeps.io/role=seed</c> and <c>prepull</c>, both
/// built by <see cref="SeedPod.Build"/>;
/// recognised by the role label and the exact commands, never by parsing shell). The helper init container
/// (<c>cp /bin/busybox /clydeps/busybox</c>) needs a shell-capable busybox image, as the real copy does, and succeeds
/// when its volume is mounted at <c>/clydeps</c>; the seed container (<c>/clydeps/busybox true</c>) then exits 0 in
/// any image, shell or not, provided it mounts the same volume (else exec fails like the real thing). The pull itself
/// is the kubelet's ordinary image pull over the transfer model, before the container starts; kubelet then lists the digest
/// in node.status.images, and the completed pod (a pre-pull holder) keeps the image in use for the Lab's image GC.
/// </summary>
public static class SeedRole
{
    public static ContainerProgram? Recognize(ProgramContext ctx)
    {
        if (ctx.Role is not (SeedPod.Role or SeedPod.PrePullRole)) return null;
        var mountsHelper = ctx.Container.VolumeMounts?.Any(m => m.MountPath == SeedPod.HelperMountPath
            && ctx.Pod.Spec?.Volumes?.Any(v => v.Name == m.Name && v.EmptyDir is not null) == true) == true;
        if (ctx.IsInit && ctx.Argv.SequenceEqual(SeedPod.HelperCommand))
        {
            if (!ctx.HasShell) return new StartErrorProgram(KnownPrograms.ExecNotFound(ctx.Argv[0]));
            return new ExitProgram(mountsHelper ? 0 : 1);
        }
        if (!ctx.IsInit && ctx.Argv.SequenceEqual(SeedPod.SeedCommand))
        {
            var copied = ctx.Pod.Spec?.InitContainers?.Any(c => (c.Command ?? []).SequenceEqual(SeedPod.HelperCommand)
                && c.VolumeMounts?.Any(m => m.MountPath == SeedPod.HelperMountPath) == true) == true;
            return copied && mountsHelper ? new ExitProgram(0) : new StartErrorProgram(KnownPrograms.ExecNotFound(SeedPod.HelperBinary));
        }
        return null;
    }
}
