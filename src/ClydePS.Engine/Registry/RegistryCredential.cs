namespace ClydePS.Engine.Registry;

/// <summary>A user name and password (or identity token) for one registry. ToString never shows the secret.</summary>
public sealed class RegistryCredential(string userName, string password)
{
    public string UserName { get; } = userName;

    public string Password { get; } = password;

    /// <summary>The value of a Basic Authorization header.</summary>
    public string BasicValue => Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(UserName + ":" + Password));

    public override string ToString() => $"{UserName}:{Kube.SecretRedactor.Mask}";
}

/// <summary>
/// Where credentials come from, most specific first: the -Credential given for the image's registry, then the
/// pull secret's and the docker config's entries for the host being contacted.
/// </summary>
public sealed class CredentialStore
{
    private readonly Dictionary<string, RegistryCredential> _byHost = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>A credential that applies to the image's own registry (the -Credential parameter).</summary>
    public RegistryCredential? Explicit { get; init; }

    /// <summary>Adds entries (host or URL → credential); an entry already present wins.</summary>
    public void AddRange(IEnumerable<KeyValuePair<string, RegistryCredential>> entries)
    {
        foreach (var (key, credential) in entries)
        {
            _byHost.TryAdd(RegistryHosts.CredentialKey(key), credential);
        }
    }

    public IEnumerable<RegistryCredential> All => _byHost.Values.Concat(Explicit is null ? [] : [Explicit]);

    /// <summary>The credential for <paramref name="host"/>; <paramref name="imageRegistry"/> is the image's own registry.</summary>
    public RegistryCredential? Find(string host, string imageRegistry)
    {
        var key = RegistryHosts.CredentialKey(host);
        if (Explicit is not null && key == RegistryHosts.CredentialKey(imageRegistry))
        {
            return Explicit;
        }
        return _byHost.GetValueOrDefault(key);
    }
}
