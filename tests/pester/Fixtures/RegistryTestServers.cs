// Test servers for the registry suites (compiled by RegistryFixture.ps1 with Add-Type): a recording HTTP
// endpoint that answers with a fixed status or forwards to a real registry (a mirror), and a Docker token
// service that issues ES256 JWTs whose x5c chain ends in the registry's rootcertbundle.
using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;

namespace ClydeTest
{
    public abstract class TestServer : IDisposable
    {
        private readonly HttpListener _listener = new HttpListener();
        private readonly CancellationTokenSource _stop = new CancellationTokenSource();

        protected TestServer()
        {
            Port = FreePort();
            _listener.Prefixes.Add("http://127.0.0.1:" + Port + "/");
            _listener.Start();
            Task.Run(LoopAsync);
        }

        public int Port { get; }

        public string Url => "http://127.0.0.1:" + Port;

        /// <summary>Every request as "METHOD /path?query".</summary>
        public ConcurrentQueue<string> Requests { get; } = new ConcurrentQueue<string>();

        public static int FreePort()
        {
            var l = new TcpListener(IPAddress.Loopback, 0);
            l.Start();
            var port = ((IPEndPoint)l.LocalEndpoint).Port;
            l.Stop();
            return port;
        }

        private async Task LoopAsync()
        {
            while (!_stop.IsCancellationRequested)
            {
                HttpListenerContext context;
                try { context = await _listener.GetContextAsync(); }
                catch { return; }
                _ = Task.Run(async () =>
                {
                    Requests.Enqueue(context.Request.HttpMethod + " " + context.Request.Url.PathAndQuery);
                    try { await HandleAsync(context); }
                    catch { try { context.Response.StatusCode = 500; } catch { } }
                    finally { try { context.Response.Close(); } catch { } }
                });
            }
        }

        protected abstract Task HandleAsync(HttpListenerContext context);

        protected static async Task WriteAsync(HttpListenerResponse response, int status, string contentType, byte[] body)
        {
            response.StatusCode = status;
            response.ContentType = contentType;
            response.ContentLength64 = body.Length;
            await response.OutputStream.WriteAsync(body, 0, body.Length);
        }

        public void Dispose()
        {
            _stop.Cancel();
            try { _listener.Stop(); _listener.Close(); } catch { }
        }
    }

    /// <summary>Answers every request with <see cref="Status"/>, or forwards it to <see cref="Upstream"/> when Status is 0.</summary>
    public sealed class RecordingServer : TestServer
    {
        private static readonly HttpClient Client = new HttpClient(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false });

        public int Status { get; set; } = 500;

        public string Upstream { get; set; }

        protected override async Task HandleAsync(HttpListenerContext context)
        {
            if (Status != 0 || string.IsNullOrEmpty(Upstream))
            {
                var body = Encoding.UTF8.GetBytes("{\"errors\":[{\"code\":\"UNKNOWN\",\"message\":\"test server answers " + Status + "\"}]}");
                await WriteAsync(context.Response, Status == 0 ? 502 : Status, "application/json", body);
                return;
            }
            var request = new HttpRequestMessage(new HttpMethod(context.Request.HttpMethod), Upstream + context.Request.Url.PathAndQuery);
            foreach (var name in new[] { "Accept", "Range", "Authorization" })
            {
                var value = context.Request.Headers[name];
                if (value != null) request.Headers.TryAddWithoutValidation(name, value);
            }
            using (var response = await Client.SendAsync(request))
            {
                var bytes = await response.Content.ReadAsByteArrayAsync();
                foreach (var header in response.Headers.Concat(response.Content.Headers))
                {
                    if (header.Key == "Content-Length" || header.Key == "Transfer-Encoding") continue;
                    context.Response.Headers[header.Key] = string.Join(",", header.Value);
                }
                context.Response.StatusCode = (int)response.StatusCode;
                context.Response.ContentLength64 = bytes.Length;
                if (context.Request.HttpMethod != "HEAD") await context.Response.OutputStream.WriteAsync(bytes, 0, bytes.Length);
            }
        }
    }

    /// <summary>A Docker token service: GET /token?service=..&amp;scope=.. with optional Basic auth, ES256 JWTs with x5c.</summary>
    public sealed class TokenServer : TestServer
    {
        private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        private readonly X509Certificate2 _certificate;

        public TokenServer(string issuer, string service)
        {
            Issuer = issuer;
            Service = service;
            var request = new CertificateRequest("CN=clyde-test-token-issuer", _key, HashAlgorithmName.SHA256);
            _certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        }

        public string Issuer { get; }

        public string Service { get; }

        /// <summary>When set, a token is issued only to this user with this password (Basic auth).</summary>
        public string UserName { get; set; }

        public string Password { get; set; }

        public int TokenLifetimeSeconds { get; set; } = 300;

        public int TokensIssued;

        public string CertificatePem => "-----BEGIN CERTIFICATE-----\n" +
            Convert.ToBase64String(_certificate.RawData, Base64FormattingOptions.InsertLineBreaks) + "\n-----END CERTIFICATE-----\n";

        protected override async Task HandleAsync(HttpListenerContext context)
        {
            var subject = "";
            if (!string.IsNullOrEmpty(UserName))
            {
                var header = context.Request.Headers["Authorization"] ?? "";
                var expected = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(UserName + ":" + Password));
                if (header != expected)
                {
                    context.Response.AddHeader("WWW-Authenticate", "Basic realm=\"token\"");
                    await WriteAsync(context.Response, 401, "application/json", Encoding.UTF8.GetBytes("{\"details\":\"bad credentials\"}"));
                    return;
                }
                subject = UserName;
            }
            var access = new List<object>();
            foreach (var scope in context.Request.QueryString.GetValues("scope") ?? new string[0])
            {
                foreach (var one in scope.Split(' '))
                {
                    var parts = one.Split(':');
                    if (parts.Length < 3) continue;
                    access.Add(new { type = parts[0], name = string.Join(":", parts.Skip(1).Take(parts.Length - 2)), actions = parts[parts.Length - 1].Split(',') });
                }
            }
            var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            var headerJson = JsonSerializer.Serialize(new { typ = "JWT", alg = "ES256", x5c = new[] { Convert.ToBase64String(_certificate.RawData) } });
            var claims = JsonSerializer.Serialize(new
            {
                iss = Issuer, sub = subject, aud = Service, exp = now + TokenLifetimeSeconds, nbf = now - 10, iat = now,
                jti = Guid.NewGuid().ToString("N"), access,
            });
            var signingInput = B64(Encoding.UTF8.GetBytes(headerJson)) + "." + B64(Encoding.UTF8.GetBytes(claims));
            var signature = _key.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256);
            var token = signingInput + "." + B64(signature);
            Interlocked.Increment(ref TokensIssued);
            var body = JsonSerializer.Serialize(new { token, expires_in = TokenLifetimeSeconds, issued_at = DateTimeOffset.UtcNow.ToString("o") });
            await WriteAsync(context.Response, 200, "application/json", Encoding.UTF8.GetBytes(body));
        }

        private static string B64(byte[] data) => Convert.ToBase64String(data).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }
}
