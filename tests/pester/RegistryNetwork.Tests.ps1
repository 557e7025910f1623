# The registry client and the local probe over real network parts: a registry served over HTTPS with a CA the
# fixture makes, plain HTTP to a non-loopback address, a forward proxy (HTTPS_PROXY / HTTP_PROXY / NO_PROXY), image
# pull secrets read from a Lab, bandwidth against a rate the kernel enforces (tbf in a network namespace), and drop
# rate and jitter against a fault-injecting proxy.
BeforeDiscovery {
    $script:registryToolsMissing = -not ((Get-Command docker-registry -ErrorAction Ignore) -and (Get-Command skopeo -ErrorAction Ignore) -and
        (Get-Command htpasswd -ErrorAction Ignore))
    . $PSScriptRoot/RegistryFixture.ps1
    # A non-loopback address of this machine makes a registry "remote" (plain HTTP refused, proxies used).
    $script:remoteAddress = Get-NonLoopbackAddress
    $script:noRemoteAddress = -not $remoteAddress
    $script:kubectlMissing = -not (Get-Command kubectl -ErrorAction Ignore)
}

BeforeAll {
    . $PSScriptRoot/Common.ps1
    . $PSScriptRoot/RegistryFixture.ps1
    Import-RegistryTestServers
    Import-NetworkTestServers

    $script:remoteAddress = Get-NonLoopbackAddress
    $script:storage = Join-Path $TestDrive 'storage'
    $script:open = Start-TestRegistry -Folder (Join-Path $TestDrive 'open') -Storage $storage
    $script:single = New-TestImageLayout -Path (Join-Path $TestDrive 'single') -Tag v1 -Seed 21
    Publish-TestImage $single "$($open.Host)/clyde/app:v1"

    # HTTPS registries over the same storage, with a CA and server certificate made here.
    $ips = @('127.0.0.1') + @($remoteAddress | Where-Object { $_ })
    $script:pki = New-TestCertificateAuthority -Folder (Join-Path $TestDrive 'pki') -IPAddress $ips -DnsName localhost
    $script:tls = Start-TestRegistry -Folder (Join-Path $TestDrive 'tls') -Storage $storage -TlsCertificatePath $pki.CertificatePath -TlsKeyPath $pki.KeyPath
    $script:remoteTls = $null
    $script:remotePlain = $null
    if ($remoteAddress) {
        $script:remoteTls = Start-TestRegistry -Folder (Join-Path $TestDrive 'remote-tls') -Storage $storage -Address $remoteAddress `
            -TlsCertificatePath $pki.CertificatePath -TlsKeyPath $pki.KeyPath
        $script:remotePlain = Start-TestRegistry -Folder (Join-Path $TestDrive 'remote-plain') -Storage $storage -Address $remoteAddress
    }

    # Basic auth over the same storage, for the pull secret tests.
    $script:user = 'clyde-pull'
    $script:password = 'Pull-S3cret-' + [guid]::NewGuid().ToString('N').Substring(0, 10)
    $htpasswd = Join-Path $TestDrive 'htpasswd'
    htpasswd -Bbc $htpasswd $user $password 2>$null
    $script:basic = Start-TestRegistry -Folder (Join-Path $TestDrive 'basic') -Storage $storage -Auth htpasswd -HtpasswdPath $htpasswd

    # No docker config and no proxy setting of the machine may leak into the tests.
    $script:saved = @{}
    foreach ($name in 'HOME', 'DOCKER_CONFIG', 'HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'NO_PROXY', 'no_proxy', 'ALL_PROXY', 'all_proxy') {
        $saved[$name] = [Environment]::GetEnvironmentVariable($name)
        [Environment]::SetEnvironmentVariable($name, $null)
    }
    $env:HOME = Join-Path $TestDrive 'home'
    $null = New-Item -ItemType Directory -Force $env:HOME

    function Set-ProxyEnvironment([hashtable] $Values) {
        foreach ($name in 'HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'NO_PROXY', 'no_proxy') { [Environment]::SetEnvironmentVariable($name, $null) }
        foreach ($key in $Values.Keys) { [Environment]::SetEnvironmentVariable($key, $Values[$key]) }
    }
}

AfterAll {
    Stop-TestRegistry $open, $tls, $remoteTls, $remotePlain, $basic
    foreach ($name in $saved.Keys) { [Environment]::SetEnvironmentVariable($name, $saved[$name]) }
}

Describe 'TLS and plain HTTP' -Skip:$registryToolsMissing {
    It 'refuses a registry whose certificate is signed by an unknown CA with ClydeRegistryTlsFailed (no plain-HTTP fallback on loopback)' {
        $err = { Get-ClydeImage "$($tls.Host)/clyde/app:v1" -ErrorAction Stop } | Should -Throw -ErrorId 'ClydeRegistryTlsFailed*' -PassThru
        $err.Exception.Message | Should -Match 'not signed by a trusted CA'
        $err.Exception.Message | Should -Match 'CaCertificatePath'
        $err.CategoryInfo.Category | Should -Be 'ConnectionError'
        $err.TargetObject | Should -Be $tls.Host
    }

    It 'trusts the registry with -CaCertificatePath' {
        $image = Get-ClydeImage "$($tls.Host)/clyde/app:v1" -CaCertificatePath $pki.CaPath
        $image.Digest | Should -Be $single.Digest
        $image.ServedBy | Should -Be $tls.Host
    }

    It 'connects with -SkipTlsVerify' {
        (Get-ClydeImage "$($tls.Host)/clyde/app:v1" -SkipTlsVerify).Digest | Should -Be $single.Digest
    }

    It 'probes over HTTPS with the same trust settings' {
        $r = Measure-ClydeRegistryProbe "$($tls.Host)/clyde/app:v1" -Local -CaCertificatePath $pki.CaPath -Interval 0.2 -Duration 0.6 -SampleBytes 32KB
        $r.Samples | Should -Be 3
        $r.FailedSamples | Should -Be 0
    }

    It 'rejects a certificate issued for another name even with its CA trusted' -Skip:(-not $IsLinux) {
        # The certificate names 127.0.0.1 and localhost, not 127.0.0.2 (loopback too, on Linux).
        $other = Start-TestRegistry -Folder (Join-Path $TestDrive 'tls-other') -Storage $storage -Address 127.0.0.2 -TlsCertificatePath $pki.CertificatePath -TlsKeyPath $pki.KeyPath
        try {
            $err = { Get-ClydeImage "$($other.Host)/clyde/app:v1" -CaCertificatePath $pki.CaPath -ErrorAction Stop } | Should -Throw -ErrorId 'ClydeRegistryTlsFailed*' -PassThru
            $err.Exception.Message | Should -Match 'not issued for 127\.0\.0\.2'
        }
        finally { Stop-TestRegistry $other }
    }

    It 'trusts a non-loopback HTTPS registry with -CaCertificatePath' -Skip:$noRemoteAddress {
        { Get-ClydeImage "$($remoteTls.Host)/clyde/app:v1" -ErrorAction Stop } | Should -Throw -ErrorId 'ClydeRegistryTlsFailed*'
        (Get-ClydeImage "$($remoteTls.Host)/clyde/app:v1" -CaCertificatePath $pki.CaPath).Digest | Should -Be $single.Digest
    }

    It 'refuses plain HTTP to a non-loopback registry unless -AllowInsecureHttp' -Skip:$noRemoteAddress {
        $err = { Get-ClydeImage "$($remotePlain.Host)/clyde/app:v1" -ErrorAction Stop } | Should -Throw -ErrorId 'ClydeRegistryInsecure*' -PassThru
        $err.Exception.Message | Should -Match '-AllowInsecureHttp'
        $err.TargetObject | Should -Be $remotePlain.Host
        $image = Get-ClydeImage "$($remotePlain.Host)/clyde/app:v1" -AllowInsecureHttp
        $image.Digest | Should -Be $single.Digest
        $image.ServedBy | Should -Be $remotePlain.Host
    }

    It 'uses plain HTTP to a loopback registry without being asked (as Docker does)' {
        (Get-ClydeImage "$($open.Host)/clyde/app:v1").Digest | Should -Be $single.Digest
    }
}
