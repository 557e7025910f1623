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
        $TokenServer
    )
    $null = New-Item -ItemType Directory -Force $Folder, $Storage
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
        "  addr: 127.0.0.1:$port"
        "  secret: clyde-test-$port"
    )
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
    $process = Start-Process -FilePath (Get-Command docker-registry).Source -ArgumentList 'serve', $config -PassThru `
        -RedirectStandardOutput (Join-Path $Folder 'stdout.log') -RedirectStandardError (Join-Path $Folder 'stderr.log')
    $deadline = [DateTime]::UtcNow.AddSeconds(20)
    while ($true) {
        try {
            $null = Invoke-WebRequest "http://127.0.0.1:$port/v2/" -SkipHttpErrorCheck -TimeoutSec 2 -NoProxy
            break
        }
        catch {
            if ($process.HasExited -or [DateTime]::UtcNow -gt $deadline) {
                throw "docker-registry did not start on port ${port}: $(Get-Content -Raw (Join-Path $Folder 'stderr.log') -ErrorAction Ignore)"
            }
            Start-Sleep -Milliseconds 100
        }
    }
    return [pscustomobject]@{ Host = "127.0.0.1:$port"; Port = $port; Process = $process; Folder = $Folder }
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
