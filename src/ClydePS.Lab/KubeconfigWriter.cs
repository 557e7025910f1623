using System.Globalization;
using System.Text;
using ClydePS.Lab.Auth;

namespace ClydePS.Lab;

/// <summary>Writes the Lab's kubeconfig (YAML, mode 0600).</summary>
public static class KubeconfigWriter
{
    public const string ClusterName = "clyde-lab";
    public const string ExtensionName = "clydeps.io/lab";

    static string B64(string s) => Convert.ToBase64String(Encoding.UTF8.GetBytes(s));

    public static string Render(string url, string token, double timeScale, LabCertificates? certs, string? registryMirror = null)
    {
        var sb = new StringBuilder();
        sb.Append("apiVersion: v1\nkind: Config\npreferences: {}\n");
        sb.Append("clusters:\n- name: clyde-lab\n  cluster:\n");
        sb.Append($"    server: {url}\n");
        if (certs is not null) sb.Append($"    certificate-authority-data: {B64(LabCertificates.CertificatePem(certs.Ca))}\n");
        sb.Append("    extensions:\n");
        sb.Append($"    - name: {ExtensionName}\n      extension:\n");
        sb.Append($"        timeScale: {timeScale.ToString("R", CultureInfo.InvariantCulture)}\n");
        if (registryMirror is not null) sb.Append($"        registryMirror: {registryMirror}\n");
        sb.Append("        version: 1\n");
        sb.Append("users:\n- name: clyde-lab-admin\n  user:\n");
        if (certs is not null)
        {
            sb.Append($"    client-certificate-data: {B64(LabCertificates.CertificatePem(certs.AdminClient))}\n");
            sb.Append($"    client-key-data: {B64(LabCertificates.PrivateKeyPem(certs.AdminClient))}\n");
            sb.Append("- name: clyde-lab-token\n  user:\n");
        }
        sb.Append($"    token: {token}\n");
        sb.Append("contexts:\n- name: clyde-lab\n  context:\n    cluster: clyde-lab\n    user: clyde-lab-admin\n    namespace: default\n");
        if (certs is not null)
            sb.Append("- name: clyde-lab-token\n  context:\n    cluster: clyde-lab\n    user: clyde-lab-token\n    namespace: default\n");
        sb.Append("current-context: clyde-lab\n");
        return sb.ToString();
    }

    /// <summary>Writes a file readable only by its owner (0600 on Unix).</summary>
    public static void WritePrivateFile(string path, string content)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        if (!OperatingSystem.IsWindows())
        {
            var opts = new FileStreamOptions
            {
                Mode = FileMode.Create, Access = FileAccess.Write,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            };
            using (var fs = new FileStream(path, opts))
            using (var w = new StreamWriter(fs, new UTF8Encoding(false)))
                w.Write(content);
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        else File.WriteAllText(path, content, new UTF8Encoding(false));
    }
}
