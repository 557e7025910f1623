// Network test servers for the registry suites (compiled by RegistryFixture.ps1 with Add-Type): a forward proxy
// (HTTP CONNECT tunnels and plain absolute-URI forwarding) that counts what goes through it, and a fault-injecting
// HTTP proxy in front of a registry that drops a chosen share of blob requests and delays the first byte of the
// others, both deterministically from a seed.
using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace ClydeTest
{
    public abstract class TcpTestServer : IDisposable
    {
        private readonly TcpListener _listener;
        private readonly CancellationTokenSource _stop = new CancellationTokenSource();

        protected TcpTestServer()
        {
            _listener = new TcpListener(IPAddress.Loopback, 0);
            _listener.Start();
            Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
            Task.Run(AcceptLoopAsync);
        }

        public int Port { get; }

        public string Url => "http://127.0.0.1:" + Port;

        public string HostPort => "127.0.0.1:" + Port;

        private async Task AcceptLoopAsync()
        {
            while (!_stop.IsCancellationRequested)
            {
                TcpClient client;
                try { client = await _listener.AcceptTcpClientAsync(); }
                catch { return; }
                client.NoDelay = true;
                _ = Task.Run(async () =>
                {
                    try { await HandleAsync(client); }
                    catch { }
                    finally { try { client.Dispose(); } catch { } }
                });
            }
        }

        protected abstract Task HandleAsync(TcpClient client);

        /// <summary>Reads an HTTP request head (up to the blank line); null when the peer closed or sent no HTTP.</summary>
        protected static async Task<string> ReadHeadAsync(NetworkStream stream)
        {
            var head = new List<byte>(1024);
            var one = new byte[1];
            while (head.Count < 64 * 1024)
            {
                var n = await stream.ReadAsync(one, 0, 1);
                if (n == 0) return null;
                // A TLS ClientHello (0x16) or other binary: not HTTP.
                if (head.Count == 0 && (one[0] < 'A' || one[0] > 'Z')) return null;
                head.Add(one[0]);
                var c = head.Count;
                if (c >= 4 && head[c - 4] == '\r' && head[c - 3] == '\n' && head[c - 2] == '\r' && head[c - 1] == '\n')
                    return Encoding.ASCII.GetString(head.ToArray());
            }
            return null;
        }

        /// <summary>The head with its Connection headers replaced by 'Connection: close' (one request per connection).</summary>
        protected static string WithConnectionClose(string head, string requestLine)
        {
            var lines = head.Split(new[] { "\r\n" }, StringSplitOptions.None).Skip(1)
                .Where(l => l.Length > 0 && !l.StartsWith("Connection:", StringComparison.OrdinalIgnoreCase)
                            && !l.StartsWith("Proxy-Connection:", StringComparison.OrdinalIgnoreCase)
                            && !l.StartsWith("Keep-Alive:", StringComparison.OrdinalIgnoreCase));
            return requestLine + "\r\n" + string.Join("\r\n", lines) + "\r\nConnection: close\r\n\r\n";
        }

        protected static async Task PipeAsync(Stream a, Stream b)
        {
            var up = a.CopyToAsync(b);
            var down = b.CopyToAsync(a);
            await Task.WhenAny(up, down);
        }

        protected static void Reset(TcpClient client)
        {
            // Linger 0: close sends a TCP RST instead of a FIN.
            try { client.Client.LingerState = new LingerOption(true, 0); client.Client.Close(); } catch { }
        }

        public void Dispose()
        {
            _stop.Cancel();
            try { _listener.Stop(); } catch { }
        }
    }

    /// <summary>
    /// A forward proxy as HTTPS_PROXY / HTTP_PROXY name one: CONNECT host:port opens a tunnel; GET http://host/path
    /// is forwarded (one request per connection). Every request is recorded as "CONNECT host:port" or "GET url".
    /// </summary>
    public sealed class ForwardProxy : TcpTestServer
    {
        public ConcurrentQueue<string> Requests { get; } = new ConcurrentQueue<string>();

        public int Count => Requests.Count;

        public void Clear() { string _; while (Requests.TryDequeue(out _)) { } }

        protected override async Task HandleAsync(TcpClient client)
        {
            var stream = client.GetStream();
            var head = await ReadHeadAsync(stream);
            if (head == null) return;
            var requestLine = head.Substring(0, head.IndexOf("\r\n", StringComparison.Ordinal));
            var parts = requestLine.Split(' ');
            if (parts.Length != 3) return;
            if (parts[0] == "CONNECT")
            {
                Requests.Enqueue("CONNECT " + parts[1]);
                var colon = parts[1].LastIndexOf(':');
                using (var upstream = new TcpClient())
                {
                    try { await upstream.ConnectAsync(parts[1].Substring(0, colon).Trim('[', ']'), int.Parse(parts[1].Substring(colon + 1))); }
                    catch
                    {
                        var bad = Encoding.ASCII.GetBytes("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n");
                        await stream.WriteAsync(bad, 0, bad.Length);
                        return;
                    }
                    var ok = Encoding.ASCII.GetBytes("HTTP/1.1 200 Connection established\r\n\r\n");
                    await stream.WriteAsync(ok, 0, ok.Length);
                    await PipeAsync(stream, upstream.GetStream());
                }
                return;
            }
            Uri target;
            if (!Uri.TryCreate(parts[1], UriKind.Absolute, out target) || target.Scheme != "http")
            {
                var bad = Encoding.ASCII.GetBytes("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                await stream.WriteAsync(bad, 0, bad.Length);
                return;
            }
            Requests.Enqueue(parts[0] + " " + parts[1]);
            using (var upstream = new TcpClient())
            {
                await upstream.ConnectAsync(target.Host.Trim('[', ']'), target.Port);
                var up = upstream.GetStream();
                var forwarded = Encoding.ASCII.GetBytes(WithConnectionClose(head, parts[0] + " " + target.PathAndQuery + " " + parts[2]));
                await up.WriteAsync(forwarded, 0, forwarded.Length);
                await up.CopyToAsync(stream);
            }
        }
    }

    /// <summary>
    /// A fault-injecting HTTP proxy in front of one registry (the prober uses it as the registry host). Every
    /// connection carries one request (the proxy answers with 'Connection: close'). Range GETs of blobs are the samples: in
    /// each block of <see cref="DropEvery"/> of them, one chosen by the seed is dropped (TCP reset before any
    /// response byte); each other one waits a delay drawn by the seed, uniform in [MinDelayMs, MaxDelayMs], before it
    /// is forwarded, so its time to first byte grows by that delay. Other requests pass through untouched.
    /// </summary>
    public sealed class FaultProxy : TcpTestServer
    {
        private readonly object _gate = new object();
        private readonly Random _dropRandom;
        private readonly Random _delayRandom;
        private readonly string _upstreamHost;
        private readonly int _upstreamPort;
        private int _sampleRequests;
        private int _dropInBlock = -1;

        public FaultProxy(string upstreamHost, int upstreamPort, int seed, int dropEvery, double minDelayMs, double maxDelayMs)
        {
            _upstreamHost = upstreamHost;
            _upstreamPort = upstreamPort;
            _dropRandom = new Random(seed);
            _delayRandom = new Random(seed + 1);
            DropEvery = dropEvery;
            MinDelayMs = minDelayMs;
            MaxDelayMs = maxDelayMs;
        }

        /// <summary>One sample in each block of this many is dropped; 0 drops none.</summary>
        public int DropEvery { get; }

        public double MinDelayMs { get; }

        public double MaxDelayMs { get; }

        public int SampleRequests { get { lock (_gate) return _sampleRequests; } }

        public int Dropped;

        public int OtherRequests;

        /// <summary>The delays given to the samples that were answered, in order.</summary>
        public List<double> Delays { get; } = new List<double>();

        /// <summary>Mean absolute difference of consecutive injected delays: the jitter the proxy added.</summary>
        public double InjectedMadMs
        {
            get
            {
                lock (_gate)
                {
                    if (Delays.Count < 2) return 0;
                    double sum = 0;
                    for (var i = 1; i < Delays.Count; i++) sum += Math.Abs(Delays[i] - Delays[i - 1]);
                    return sum / (Delays.Count - 1);
                }
            }
        }

        public double InjectedDropRatePct { get { lock (_gate) return _sampleRequests == 0 ? 0 : Dropped * 100.0 / _sampleRequests; } }

        protected override async Task HandleAsync(TcpClient client)
        {
            var stream = client.GetStream();
            var head = await ReadHeadAsync(stream);
            if (head == null) return;
            var requestLine = head.Substring(0, head.IndexOf("\r\n", StringComparison.Ordinal));
            // Probe samples are Range GETs of a blob (a whole-blob GET, such as an image config, is not one).
            var isSample = requestLine.StartsWith("GET ", StringComparison.Ordinal) && requestLine.Contains("/blobs/")
                && head.IndexOf("\r\nRange:", StringComparison.OrdinalIgnoreCase) >= 0;
            var delay = 0.0;
            if (isSample)
            {
                bool drop;
                lock (_gate)
                {
                    var index = _sampleRequests++;
                    if (DropEvery > 0 && index % DropEvery == 0) _dropInBlock = _dropRandom.Next(DropEvery);
                    drop = DropEvery > 0 && index % DropEvery == _dropInBlock;
                    if (drop) Dropped++;
                    else
                    {
                        delay = MinDelayMs + _delayRandom.NextDouble() * (MaxDelayMs - MinDelayMs);
                        Delays.Add(delay);
                    }
                }
                if (drop)
                {
                    Reset(client);
                    return;
                }
            }
            else
            {
                Interlocked.Increment(ref OtherRequests);
            }
            using (var upstream = new TcpClient())
            {
                upstream.NoDelay = true;
                await upstream.ConnectAsync(_upstreamHost, _upstreamPort);
                var up = upstream.GetStream();
                if (delay > 0) await PreciseDelayAsync(delay);
                var forwarded = Encoding.ASCII.GetBytes(WithConnectionClose(head, requestLine));
                await up.WriteAsync(forwarded, 0, forwarded.Length);
                await up.CopyToAsync(stream);
            }
        }

        private static async Task PreciseDelayAsync(double ms)
        {
            // Task.Delay to within 2 ms of the target, then spin: the delays must be exact to a fraction of a ms.
            var watch = System.Diagnostics.Stopwatch.StartNew();
            if (ms > 2) await Task.Delay(TimeSpan.FromMilliseconds(ms - 2));
            while (watch.Elapsed.TotalMilliseconds < ms) Thread.SpinWait(50);
        }
    }
}
