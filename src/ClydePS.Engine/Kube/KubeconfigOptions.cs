namespace ClydePS.Engine.Kube;

/// <summary>
/// Which kubeconfig to use. <paramref name="Paths"/> null or empty: <c>$KUBECONFIG</c>, else <c>~/.kube/config</c>,
/// else in-cluster (kubectl's order). <paramref name="Context"/> null: the kubeconfig's current-context.
/// </summary>
public sealed record KubeconfigOptions(IReadOnlyList<string>? Paths = null, string? Context = null);
