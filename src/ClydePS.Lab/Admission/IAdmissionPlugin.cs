using ClydePS.Lab.Auth;
using ClydePS.Lab.Store;
using k8s;
using k8s.Models;

namespace ClydePS.Lab.Admission;

/// <summary>Who asked for a write, and what the admission chain has to say back (warnings).</summary>
public sealed class AdmissionRequestInfo
{
    /// <summary>The in-process writers' identity (controllers), as kube-controller-manager's.</summary>
    public static readonly LabUser ControllerUser = new("system:kube-controller-manager", ["system:authenticated"]);

    public LabUser User { get; init; } = ControllerUser;
    public List<string> Warnings { get; } = [];
}

/// <summary>One create being admitted: the object after defaulting and the built-in admission, before validation.</summary>
public sealed class AdmissionAttributes
{
    public required ResourceDefinition Def { get; init; }
    public required string Operation { get; init; }
    public required IKubernetesObject<V1ObjectMeta> Object { get; set; }
    public required bool DryRun { get; init; }
    public required AdmissionRequestInfo Request { get; init; }
    /// <summary>True when the name comes from generateName (webhooks then see no name, as admission runs before generation on the real server).</summary>
    public bool NameGenerated { get; init; }
    /// <summary>Set by a plugin that replaced <see cref="Object"/> (the object is then defaulted again).</summary>
    public bool Mutated { get; set; }
}

/// <summary>
/// A mutating admission plugin in the Lab's single create path (<see cref="Api.RestHandler.CreateObject"/>),
/// which REST clients and the Lab's own controllers share. Plugins run after defaulting and the built-in
/// admission, before validation and storage; they may replace the object or throw an <see cref="ApiException"/>.
/// </summary>
public interface IAdmissionPlugin
{
    void Admit(AdmissionAttributes attributes);
}
