# Real registries for the registry and probe suites: CNCF distribution (Debian's docker-registry) on loopback
# ports with filesystem storage, test images built as OCI layouts and pushed with skopeo, and the test servers
# of Fixtures/RegistryTestServers.cs (a recording mirror, a token service). Dot-source after Common.ps1.

$script:RegistryTestServersLoaded = $false

function Test-RegistryToolsPresent {
    return [bool](Get-Command docker-registry -ErrorAction Ignore) -and [bool](Get-Command skopeo -ErrorAction Ignore) -and
        [bool](Get-Command htpasswd -ErrorAction Ignore)
}

function Import-RegistryTestServers {
    if ('ClydeTest.TokenServer' -as [type]) { return }
    $assemblies = 'System.Net.HttpListener', 'System.Net.Primitives', 'System.Collections.Concurrent', 'System.Net.Http',
        'System.Security.Cryptography', 'System.Text.Json', 'System.Linq', 'System.Collections', 'System.Net.Sockets',
        'System.Threading', 'System.Private.Uri', 'System.Runtime', 'System.Collections.Specialized', 'System.Memory',
        'System.Web.HttpUtility', 'System.Threading.Thread', 'System.Console', 'System.Net.WebHeaderCollection'
    Add-Type -Path (Join-Path $PSScriptRoot 'Fixtures/RegistryTestServers.cs') -ReferencedAssemblies $assemblies
}

function Get-FreeTcpPort { return [ClydeTest.TestServer]::FreePort() }

function ConvertTo-Sha256Digest([byte[]] $Bytes) {
    return 'sha256:' + [Convert]::ToHexString([Security.Cryptography.SHA256]::HashData($Bytes)).ToLowerInvariant()
}

function Write-OciBlob {
    # Writes a blob into an OCI layout's blobs/sha256 folder; returns its descriptor.
    param([string] $Layout, [byte[]] $Bytes, [string] $MediaType, [hashtable] $Platform)
    $digest = ConvertTo-Sha256Digest $Bytes
    [IO.File]::WriteAllBytes((Join-Path $Layout "blobs/sha256/$($digest.Substring(7))"), $Bytes)
    $descriptor = [ordered]@{ mediaType = $MediaType; digest = $digest; size = $Bytes.Length }
    if ($Platform) { $descriptor.platform = $Platform }
    return $descriptor
}

function ConvertTo-JsonBytes($Object) {
    return [Text.Encoding]::UTF8.GetBytes(($Object | ConvertTo-Json -Depth 20 -Compress))
}

function New-TestImageLayout {
    <#
        Builds an OCI image layout with one image per platform (config + gzipped layers of random bytes) and, for more
        than one platform, an OCI index. Returns the layout path, the digest a pull resolves to, and each
        platform's manifest digest and layers.
    #>
    param(
        [Parameter(Mandatory)] [string] $Path,
        [string] $Tag = 'v1',
        [string[]] $Platforms = @('linux/amd64'),
        [int[]] $LayerSizes = @(300KB, 200KB),
        [int] $Seed = 1
    )
    $null = New-Item -ItemType Directory -Force (Join-Path $Path 'blobs/sha256')
    Set-Content -LiteralPath (Join-Path $Path 'oci-layout') -Value '{"imageLayoutVersion":"1.0.0"}' -NoNewline
    $random = [Random]::new($Seed)
    $images = foreach ($platform in $Platforms) {
        $os, $arch, $variant = $platform -split '/'
        $layers = foreach ($size in $LayerSizes) {
            $bytes = [byte[]]::new($size)
            $random.NextBytes($bytes)
            # Gzip, as registries store layers: skopeo would compress a plain tar layer and change its digest.
            $buffer = [IO.MemoryStream]::new()
            $gzip = [IO.Compression.GZipStream]::new($buffer, [IO.Compression.CompressionLevel]::Fastest)
            $gzip.Write($bytes, 0, $bytes.Length)
            $gzip.Dispose()
            Write-OciBlob $Path $buffer.ToArray() 'application/vnd.oci.image.layer.v1.tar+gzip'
        }
        $config = [ordered]@{ architecture = $arch; os = $os; rootfs = @{ type = 'layers'; diff_ids = @($layers | ForEach-Object digest) }; config = @{} }
        if ($variant) { $config.variant = $variant }
        $configDescriptor = Write-OciBlob $Path (ConvertTo-JsonBytes $config) 'application/vnd.oci.image.config.v1+json'
        $manifest = [ordered]@{ schemaVersion = 2; mediaType = 'application/vnd.oci.image.manifest.v1+json'; config = $configDescriptor; layers = @($layers) }
        $p = [ordered]@{ architecture = $arch; os = $os }
        if ($variant) { $p.variant = $variant }
        $descriptor = Write-OciBlob $Path (ConvertTo-JsonBytes $manifest) 'application/vnd.oci.image.manifest.v1+json' $p
        [pscustomobject]@{ Platform = $platform; Digest = $descriptor.digest; Descriptor = $descriptor; Layers = @($layers) }
    }
    if ($images.Count -gt 1) {
        $index = [ordered]@{ schemaVersion = 2; mediaType = 'application/vnd.oci.image.index.v1+json'; manifests = @($images | ForEach-Object Descriptor) }
        $top = Write-OciBlob $Path (ConvertTo-JsonBytes $index) 'application/vnd.oci.image.index.v1+json'
    }
    else {
        $top = [ordered]@{} + $images[0].Descriptor
        $top.Remove('platform')
    }
    $top.annotations = @{ 'org.opencontainers.image.ref.name' = $Tag }
    Set-Content -LiteralPath (Join-Path $Path 'index.json') -Value (@{ schemaVersion = 2; manifests = @($top) } | ConvertTo-Json -Depth 20 -Compress) -NoNewline
    return [pscustomobject]@{ Path = $Path; Tag = $Tag; Digest = $top.digest; Images = @($images) }
}

function Publish-TestImage {
    param([Parameter(Mandatory)] $Layout, [Parameter(Mandatory)] [string] $Destination)
    $out = skopeo copy --all --insecure-policy --dest-tls-verify=false "oci:$($Layout.Path):$($Layout.Tag)" "docker://$Destination" 2>&1
    if ($LASTEXITCODE -ne 0) { throw "skopeo copy to $Destination failed: $out" }
}

function Start-TestRegistry {
    <#
        Starts docker-registry on a free loopback port. -Storage shares one storage folder between instances (the
        auth variants serve the images pushed to the open one). -Auth: none, htpasswd (with -HtpasswdPath) or
        token (with -TokenServer).
    #>
    param(
        [Parameter(Mandatory)] [string] $Folder,
        [Parameter(Mandatory)] [string] $Storage,
        [ValidateSet('none', 'htpasswd', 'token')] [string] $Auth = 'none',
        [string] $HtpasswdPath,
        $TokenServer,
        # The address to listen on (default loopback); with -NetNamespace, an address of that namespace.
        [string] $Address = '127.0.0.1',
        # Serve HTTPS with this certificate (PEM, leaf first) and key (PEM).
        [string] $TlsCertificatePath,
        [string] $TlsKeyPath,
        # Run the registry inside this network namespace (ip netns exec).
        [string] $NetNamespace
    )
    $null = New-Item -ItemType Directory -Force $Folder, $Storage
    # A free port can be taken by another process before the registry binds it (suites running side by side): then
    # the registry exits at once, and whatever answers on that port is not ours. Such a start is retried on a new port.
    for ($attempt = 1; ; $attempt++) {
        $port = Get-FreeTcpPort
        $lines = @(
            'version: 0.1'
            'log:'
            '  level: warn'
            '  accesslog:'
            '    disabled: true'
            'storage:'
            '  filesystem:'
            "    rootdirectory: $Storage"
            'http:'
            "  addr: ${Address}:$port"
            "  secret: clyde-test-$port"
        )
        if ($TlsCertificatePath) { $lines += '  tls:', "    certificate: $TlsCertificatePath", "    key: $TlsKeyPath" }
        switch ($Auth) {
            'htpasswd' { $lines += 'auth:', '  htpasswd:', '    realm: clyde-test', "    path: $HtpasswdPath" }
            'token' {
                $bundle = Join-Path $Folder 'token-root.pem'
                Set-Content -LiteralPath $bundle -Value $TokenServer.CertificatePem -NoNewline
                $lines += 'auth:', '  token:', "    realm: $($TokenServer.Url)/token", "    service: $($TokenServer.Service)",
                    "    issuer: $($TokenServer.Issuer)", "    rootcertbundle: $bundle"
            }
        }
        $config = Join-Path $Folder 'config.yml'
        Set-Content -LiteralPath $config -Value ($lines -join "`n")
        $registry = (Get-Command docker-registry).Source
        # 'ip netns exec' execs the registry, so the process started is the registry itself.
        $file, $arguments = if ($NetNamespace) { (Get-Command ip).Source, @('netns', 'exec', $NetNamespace, $registry, 'serve', $config) } else { $registry, @('serve', $config) }
        $process = Start-Process -FilePath $file -ArgumentList $arguments -PassThru `
            -RedirectStandardOutput (Join-Path $Folder 'stdout.log') -RedirectStandardError (Join-Path $Folder 'stderr.log')
        $hostPort = if ($Address.Contains(':')) { "[$Address]:$port" } else { "${Address}:$port" }
        $scheme = if ($TlsCertificatePath) { 'https' } else { 'http' }
        $deadline = [DateTime]::UtcNow.AddSeconds(20)
        while ($true) {
            try {
                $null = Invoke-WebRequest "${scheme}://$hostPort/v2/" -SkipHttpErrorCheck -SkipCertificateCheck -TimeoutSec 2 -NoProxy
                break
            }
            catch {
                if ($process.HasExited) { break }
                if ([DateTime]::UtcNow -gt $deadline) {
                    throw "docker-registry did not start on ${hostPort}: $(Get-Content -Raw (Join-Path $Folder 'stderr.log') -ErrorAction Ignore)"
                }
                Start-Sleep -Milliseconds 100
            }
        }
        if (-not $process.HasExited) { Start-Sleep -Milliseconds 300 }
        if (-not $process.HasExited) { break }
        if ($attempt -ge 5) { throw "docker-registry exited after starting on ${hostPort}: $(Get-Content -Raw (Join-Path $Folder 'stderr.log') -ErrorAction Ignore)" }
    }
    return [pscustomobject]@{ Host = $hostPort; Port = $port; Process = $process; Folder = $Folder }
}

function New-TestCertificateAuthority {
    <#
        Writes a test CA (ca.pem) and a server certificate it signs (server.pem, server.key) for the given IP addresses
        and DNS names into -Folder, with .NET's CertificateRequest (no openssl needed).
    #>
    param([Parameter(Mandatory)] [string] $Folder, [string[]] $IPAddress = @('127.0.0.1'), [string[]] $DnsName = @('localhost'))
    $null = New-Item -ItemType Directory -Force $Folder
    $x509 = 'System.Security.Cryptography.X509Certificates'
    $curve = [Security.Cryptography.ECCurve+NamedCurves]::nistP256
    $caKey = [Security.Cryptography.ECDsa]::Create($curve)
    $caRequest = New-Object "$x509.CertificateRequest" 'CN=ClydePS test CA', $caKey, ([Security.Cryptography.HashAlgorithmName]::SHA256)
    $caRequest.CertificateExtensions.Add((New-Object "$x509.X509BasicConstraintsExtension" $true, $false, 0, $true))
    $caRequest.CertificateExtensions.Add((New-Object "$x509.X509KeyUsageExtension" ([Security.Cryptography.X509Certificates.X509KeyUsageFlags]'KeyCertSign, CrlSign'), $true))
    $ca = $caRequest.CreateSelfSigned([DateTimeOffset]::UtcNow.AddDays(-1), [DateTimeOffset]::UtcNow.AddDays(7))

    $key = [Security.Cryptography.ECDsa]::Create($curve)
    $request = New-Object "$x509.CertificateRequest" 'CN=ClydePS test registry', $key, ([Security.Cryptography.HashAlgorithmName]::SHA256)
    $san = New-Object "$x509.SubjectAlternativeNameBuilder"
    foreach ($name in $DnsName) { $san.AddDnsName($name) }
    foreach ($ip in $IPAddress) { $san.AddIpAddress([Net.IPAddress]::Parse($ip)) }
    $request.CertificateExtensions.Add($san.Build())
    $request.CertificateExtensions.Add((New-Object "$x509.X509BasicConstraintsExtension" $false, $false, 0, $false))
    $serverAuth = [Security.Cryptography.OidCollection]::new()
    $null = $serverAuth.Add([Security.Cryptography.Oid]::new('1.3.6.1.5.5.7.3.1'))
    $request.CertificateExtensions.Add((New-Object "$x509.X509EnhancedKeyUsageExtension" $serverAuth, $false))
    $serial = [byte[]]::new(8)
    [Security.Cryptography.RandomNumberGenerator]::Fill($serial)
    $serial[0] = $serial[0] -band 0x7f
    $certificate = $request.Create($ca, [DateTimeOffset]::UtcNow.AddHours(-1), [DateTimeOffset]::UtcNow.AddDays(6), $serial)

    $result = [pscustomobject]@{
        CaPath          = Join-Path $Folder 'ca.pem'
        CertificatePath = Join-Path $Folder 'server.pem'
        KeyPath         = Join-Path $Folder 'server.key'
    }
    Set-Content -LiteralPath $result.CaPath -Value $ca.ExportCertificatePem()
    Set-Content -LiteralPath $result.CertificatePath -Value $certificate.ExportCertificatePem()
    Set-Content -LiteralPath $result.KeyPath -Value $key.ExportPkcs8PrivateKeyPem()
    return $result
}

function Get-NonLoopbackAddress {
    # An IPv4 address of this machine that is not loopback (the registry listens there to be "remote"), else $null.
    $addresses = [Net.NetworkInformation.NetworkInterface]::GetAllNetworkInterfaces() |
        Where-Object { $_.OperationalStatus -eq 'Up' -and $_.NetworkInterfaceType -ne 'Loopback' } |
        ForEach-Object { $_.GetIPProperties().UnicastAddresses.Address } |
        Where-Object { $_.AddressFamily -eq 'InterNetwork' -and -not [Net.IPAddress]::IsLoopback($_) }
    $first = @($addresses)[0]
    if ($first) { return $first.ToString() }
    return $null
}

function Import-NetworkTestServers {
    if ('ClydeTest.ForwardProxy' -as [type]) { return }
    $assemblies = 'System.Net.Primitives', 'System.Collections.Concurrent', 'System.Net.Sockets', 'System.Threading',
        'System.Private.Uri', 'System.Runtime', 'System.Linq', 'System.Collections', 'System.Memory', 'System.Threading.Thread'
    Add-Type -Path (Join-Path $PSScriptRoot 'Fixtures/NetworkTestServers.cs') -ReferencedAssemblies $assemblies
}

function New-TestNetNamespace {
    <#
        A network namespace joined to this one by a veth pair on a private /30: returns its name, both interface
        names and addresses, or $null with the reason in -ErrorVariable-free form (.Reason) when namespaces are not permitted.
    #>
    param([Parameter(Mandatory)] [string] $Name)
    if (-not $IsLinux -or -not (Get-Command ip -ErrorAction Ignore)) { return [pscustomobject]@{ Name = $null; Reason = 'no Linux ip command' } }
    $out = ip netns add $Name 2>&1
    if ($LASTEXITCODE -ne 0) { return [pscustomobject]@{ Name = $null; Reason = "ip netns add is not permitted here: $out" } }
    # A /30 in 10.213.0.0/16 that no route of this machine covers yet.
    $used = (ip -4 route show) -join "`n"
    $third = 0
    foreach ($candidate in (4..251 | Get-Random -Count 40 -SetSeed ($PID % 1000))) {
        if ($used -notmatch "10\.213\.$candidate\.") { $third = $candidate; break }
    }
    $suffix = ($Name -replace '[^a-z0-9]', '')
    $suffix = $suffix.Substring([Math]::Max(0, $suffix.Length - 8))
    $ns = [pscustomobject]@{
        Name = $Name; Reason = $null
        HostInterface = "vh$suffix"; NamespaceInterface = "vn$suffix"
        HostAddress = "10.213.$third.1"; NamespaceAddress = "10.213.$third.2"
    }
    $steps = @(
        , @('link', 'add', $ns.HostInterface, 'type', 'veth', 'peer', 'name', $ns.NamespaceInterface, 'netns', $Name)
        , @('addr', 'add', "$($ns.HostAddress)/30", 'dev', $ns.HostInterface)
        , @('link', 'set', $ns.HostInterface, 'up')
        , @('netns', 'exec', $Name, 'ip', 'addr', 'add', "$($ns.NamespaceAddress)/30", 'dev', $ns.NamespaceInterface)
        , @('netns', 'exec', $Name, 'ip', 'link', 'set', $ns.NamespaceInterface, 'up')
        , @('netns', 'exec', $Name, 'ip', 'link', 'set', 'lo', 'up')
    )
    foreach ($step in $steps) {
        $out = ip @step 2>&1
        if ($LASTEXITCODE -ne 0) {
            Remove-TestNetNamespace $ns
            throw "ip $($step -join ' ') failed: $out"
        }
    }
    return $ns
}

function Remove-TestNetNamespace {
    param($Namespace)
    if (-not $Namespace -or -not $Namespace.Name) { return }
    # Deleting the namespace removes its end of the veth pair, and with it the host's end.
    $null = ip netns del $Namespace.Name 2>&1
    $null = ip link del $Namespace.HostInterface 2>&1
}

function Stop-TestRegistry {
    param($Registry)
    foreach ($r in @($Registry)) {
        if ($r -and $r.Process -and -not $r.Process.HasExited) {
            Stop-Process -Id $r.Process.Id -Force -ErrorAction Ignore
            $r.Process.WaitForExit(5000)
        }
    }
}

function Start-TestRegistrySet {
    <#
        The three registries most suites need, sharing one storage (push to Open, read from any): open, basic auth
        (an htpasswd bcrypt entry for -User/-Password) and bearer-token auth (a token server issuing x5c-signed JWTs).
        Returns Open, Basic, Bearer and Tokens; stop them with Stop-TestRegistry and $set.Tokens.Dispose().
    #>
    param([Parameter(Mandatory)] [string] $Root, [Parameter(Mandatory)] [string] $User, [Parameter(Mandatory)] [string] $Password)
    $storage = Join-Path $Root 'storage'
    $open = Start-TestRegistry -Folder (Join-Path $Root 'open') -Storage $storage
    $htpasswd = Join-Path $Root 'htpasswd'
    htpasswd -Bbc $htpasswd $User $Password 2>$null
    $basic = Start-TestRegistry -Folder (Join-Path $Root 'basic') -Storage $storage -Auth htpasswd -HtpasswdPath $htpasswd
    $tokens = [ClydeTest.TokenServer]::new('clyde-test-issuer', 'clyde-test-registry')
    $bearer = Start-TestRegistry -Folder (Join-Path $Root 'bearer') -Storage $storage -Auth token -TokenServer $tokens
    return [pscustomobject]@{ Open = $open; Basic = $basic; Bearer = $bearer; Tokens = $tokens }
}
