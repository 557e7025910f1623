using System.Diagnostics;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using ClydePS;
using ClydePS.Engine.Flex;
using ClydePS.Engine.Kube;

namespace ClydePS.FlexWebhook;

/// <summary>
/// The flex mutating admission webhook: HTTPS, <c>POST /mutate-v1-pod</c> (AdmissionReview v1, handled by
/// <see cref="FlexAdmission"/>), <c>GET /healthz</c> and <c>GET /readyz</c>, JSON logs on stdout. Reads templates, nodes and
/// DaemonSets from the API server (in-cluster config, or <c>--kubeconfig</c>).
/// </summary>
public static class Program
{
    const string Usage = """
        ClydePS.FlexWebhook: the flex resources mutating admission webhook.
          --listen <ip:port>      address to serve HTTPS on (default 0.0.0.0:9443; port 0 picks a free port)
          --tls-cert <file>       PEM serving certificate (default /etc/flexdaemonsets/tls/tls.crt)
          --tls-key <file>        PEM private key (default /etc/flexdaemonsets/tls/tls.key)
          --kubeconfig <file>     kubeconfig to reach the API server (default: $KUBECONFIG, ~/.kube/config, else in-cluster)
          --context <name>        kubeconfig context
          --parent-pid <pid>      exit when that process exits (for tests)
        Prints 'Listening on https://<address>' once it serves.
        """;

    public static async Task<int> Main(string[] args)
    {
        string listen = "0.0.0.0:9443", certPath = "/etc/flexdaemonsets/tls/tls.crt", keyPath = "/etc/flexdaemonsets/tls/tls.key";
        string? kubeconfig = null, context = null;
        int? parentPid = null;
        for (int i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--listen": listen = Next(); break;
                case "--tls-cert": certPath = Next(); break;
                case "--tls-key": keyPath = Next(); break;
                case "--kubeconfig": kubeconfig = Next(); break;
                case "--context": context = Next(); break;
                case "--parent-pid": parentPid = int.Parse(Next(), System.Globalization.CultureInfo.InvariantCulture); break;
                case "-h" or "--help": Console.WriteLine(Usage); return 0;
                default: Console.Error.WriteLine($"unknown argument {args[i]}\n{Usage}"); return 2;
            }
        }
        if (!IPEndPoint.TryParse(listen, out var endpoint))
        {
            Console.Error.WriteLine($"--listen '{listen}' is not ip:port");
            return 2;
        }

        X509Certificate2 certificate;
        try
        {
            using var pem = X509Certificate2.CreateFromPemFile(certPath, keyPath);
            // Round-trip through PKCS#12 so SslStream can use the key on every platform.
            certificate = new X509Certificate2(pem.Export(X509ContentType.Pkcs12), (string?)null, X509KeyStorageFlags.Exportable);
        }
        catch (Exception e) when (e is IOException or System.Security.Cryptography.CryptographicException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"cannot load the TLS certificate {certPath} / key {keyPath}: {e.Message}");
            return 1;
        }

        ClusterGateway gateway;
        try
        {
            gateway = ClusterGateway.Connect(new KubeconfigOptions(kubeconfig is null ? null : [kubeconfig], context));
        }
        catch (ClydeException e)
        {
            Console.Error.WriteLine(e.Message);
            return 1;
        }

        var app = WebhookApp.Build(endpoint, certificate, new GatewayFlexLookup(gateway), gateway);
        await app.StartAsync();
        Console.WriteLine("Listening on " + WebhookApp.Address(app));
        if (parentPid is int pid) _ = WatchParentAsync(pid, app);
        await app.WaitForShutdownAsync();
        gateway.Dispose();
        return 0;
    }

    static async Task WatchParentAsync(int pid, WebApplication app)
    {
        try
        {
            using var parent = Process.GetProcessById(pid);
            await parent.WaitForExitAsync();
        }
        catch (ArgumentException) { }
        await app.StopAsync();
    }
}
