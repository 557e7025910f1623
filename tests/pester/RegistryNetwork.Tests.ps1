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
    # The bandwidth test needs a network namespace; it is skipped (with this reason) only where one cannot be made.
    $script:netnsUnavailable = $null
    if (-not $IsLinux -or -not (Get-Command ip -ErrorAction Ignore) -or -not (Get-Command tc -ErrorAction Ignore)) {
        $script:netnsUnavailable = 'needs Linux with ip and tc (iproute2)'
    }
    else {
        $probeName = "clydeps-check-$PID"
        $out = ip netns add $probeName 2>&1
        if ($LASTEXITCODE -ne 0) { $script:netnsUnavailable = "ip netns add is not permitted here: $out" }
        else { $null = ip netns del $probeName 2>&1 }
    }
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

Describe '-ImagePullSecret from a Lab' -Skip:$registryToolsMissing {
    BeforeAll {
        # The Lab's registry mirror (which every cmdlet given the Lab's kubeconfig asks first) synthesises any image
        # it is asked for; declaring these missing makes it answer 404, so the requests fall back to the real,
        # basic-auth registry and the secret's credentials are what gets them through.
        $clusterFile = New-TestClusterFile @{
            nodes  = @(@{ name = 'node-1'; internalIPs = @('10.0.0.1') })
            images = @(
                @{ reference = "$($basic.Host)/clyde/app:v1"; missing = $true }
                @{ reference = "$($basic.Host)/clyde/app:nope"; missing = $true }
            )
        } -Name 'pull-secret-cluster.json'
        $script:lab = Start-ClydeLab -ClusterFile $clusterFile
        $script:labToken = (Get-Content -Raw (Join-Path $lab.StateDirectory 'token')).Trim()
        $script:cache = Join-Path $TestDrive 'kubectl-cache'

        function New-LabPullSecret([string] $Name, [string] $Server, [string] $UserName, [string] $Secret) {
            if (Get-Command kubectl -ErrorAction Ignore) {
                # kubectl builds the .dockerconfigjson itself (an independent producer of the format); the Lab takes
                # JSON bodies, so the secret is rendered client-side and created from the file form.
                $json = kubectl --kubeconfig $lab.KubeconfigPath --cache-dir $cache create secret docker-registry $Name `
                    "--docker-server=$Server" "--docker-username=$UserName" "--docker-password=$Secret" --dry-run=client -o json
                $out = $json | kubectl --kubeconfig $lab.KubeconfigPath --cache-dir $cache create -f - 2>&1
                if ($LASTEXITCODE -ne 0) { throw "kubectl create secret failed: $out" }
                return
            }
            $config = @{ auths = @{ $Server = @{ username = $UserName; password = $Secret; auth = [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes("${UserName}:$Secret")) } } } |
                ConvertTo-Json -Depth 5 -Compress
            $body = @{
                apiVersion = 'v1'; kind = 'Secret'; type = 'kubernetes.io/dockerconfigjson'
                metadata = @{ name = $Name; namespace = 'default' }
                data = @{ '.dockerconfigjson' = [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes($config)) }
            } | ConvertTo-Json -Depth 5
            $null = Invoke-RestMethod -Method Post -Uri "$($lab.Url)/api/v1/namespaces/default/secrets" -Body $body -ContentType 'application/json' `
                -Headers @{ Authorization = "Bearer $labToken" } -NoProxy
        }

        New-LabPullSecret 'clyde-pull' $basic.Host $user $password
        New-LabPullSecret 'clyde-pull-wrong' $basic.Host $user "$password-wrong"
    }

    AfterAll {
        if ($lab) { $lab | Stop-ClydeLab }
    }

    It 'authenticates with the credentials of a kubernetes.io/dockerconfigjson secret' {
        { Get-ClydeImage "$($basic.Host)/clyde/app:v1" -Kubeconfig $lab.KubeconfigPath -ErrorAction Stop } | Should -Throw -ErrorId 'ClydeRegistryAuthFailed*'
        $image = Get-ClydeImage "$($basic.Host)/clyde/app:v1" -ImagePullSecret clyde-pull -Kubeconfig $lab.KubeconfigPath
        $image.Digest | Should -Be $single.Digest
        $image.ServedBy | Should -Be $basic.Host
        $r = Measure-ClydeRegistryProbe "$($basic.Host)/clyde/app:v1" -Local -ImagePullSecret clyde-pull -Kubeconfig $lab.KubeconfigPath -Interval 0.2 -Duration 0.4 -SampleBytes 16KB
        $r.FailedSamples | Should -Be 0
    }

    It 'reports a missing secret as ClydePullSecretNotFound, naming it and how to create it' {
        $err = { Get-ClydeImage "$($basic.Host)/clyde/app:v1" -ImagePullSecret no-such-secret -Kubeconfig $lab.KubeconfigPath -ErrorAction Stop } |
            Should -Throw -ErrorId 'ClydePullSecretNotFound*' -PassThru
        $err.CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $err.TargetObject | Should -Be 'default/no-such-secret'
        $err.Exception.Message | Should -Match 'default/no-such-secret does not exist'
        $err.Exception.Message | Should -Match 'kubectl create secret docker-registry'
    }

    It 'keeps the secret''s password and its base64 forms out of every stream' {
        $base64 = [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes("${user}:$password"))
        $wrongBase64 = [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes("${user}:$password-wrong"))
        $DebugPreference = 'Continue'
        $output = & {
            Get-ClydeImage "$($basic.Host)/clyde/app:v1" -ImagePullSecret clyde-pull -Kubeconfig $lab.KubeconfigPath -Verbose -Debug
            try { Get-ClydeImage "$($basic.Host)/clyde/app:v1" -ImagePullSecret clyde-pull-wrong -Kubeconfig $lab.KubeconfigPath -Verbose -Debug -ErrorAction Stop } catch { $_ }
            Get-ClydeImage "$($basic.Host)/clyde/app:nope" -ImagePullSecret clyde-pull -Kubeconfig $lab.KubeconfigPath -Verbose -Debug -ErrorAction Continue
            Measure-ClydeRegistryProbe "$($basic.Host)/clyde/app:v1" -Local -ImagePullSecret clyde-pull -Kubeconfig $lab.KubeconfigPath -Interval 0.2 -Duration 0.4 -SampleBytes 8KB -Verbose -Debug
        } *>&1
        $DebugPreference = 'SilentlyContinue'
        $text = ($output | ForEach-Object {
                if ($_ -is [System.Management.Automation.ErrorRecord]) { $_.FullyQualifiedErrorId; $_.ToString(); $_.Exception.ToString(); $_.ErrorDetails.Message; $_.TargetObject }
                elseif ($_ -is [System.Management.Automation.InformationalRecord]) { $_.Message }
                else { $_ | Format-List * | Out-String -Width 500; $_ | ConvertTo-Json -Depth 6 -WarningAction Ignore }
            }) -join "`n"
        @($output | Where-Object { $_ -is [System.Management.Automation.DebugRecord] }).Count | Should -BeGreaterThan 3
        @($output | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] }).Count | Should -Be 2
        $text | Should -Match 'clyde-pull'
        $text | Should -Match 'ClydeRegistryAuthFailed'
        foreach ($secret in $password, $base64, $wrongBase64) {
            $text | Should -Not -Match ([regex]::Escape($secret))
        }
    }
}

Describe 'Probe bandwidth against a rate the kernel enforces' -Skip:$registryToolsMissing {
    BeforeAll {
        $script:shapedRateMbit = 40
        $script:namespace = $null
        $script:shaped = $null
        if (-not $netnsUnavailable) {
            # One ~64 MiB layer (random bytes, gzipped), pushed through loopback into the shared storage.
            $script:big = New-TestImageLayout -Path (Join-Path $TestDrive 'big') -Tag v1 -Seed 31 -LayerSizes 64MB, 16KB
            Publish-TestImage $big "$($open.Host)/clyde/big:v1"
            # The registry runs in its own network namespace behind a veth pair; tbf shapes what it sends.
            $script:namespace = New-TestNetNamespace "clydeps-bw-$PID"
            $out = ip netns exec $namespace.Name tc qdisc add dev $namespace.NamespaceInterface root tbf rate "$($shapedRateMbit)mbit" burst 32kbit latency 400ms 2>&1
            if ($LASTEXITCODE -ne 0) { throw "tc qdisc add tbf failed: $out" }
            $script:shaped = Start-TestRegistry -Folder (Join-Path $TestDrive 'shaped') -Storage $storage -Address $namespace.NamespaceAddress -NetNamespace $namespace.Name
        }
    }

    AfterAll {
        Stop-TestRegistry $shaped
        Remove-TestNetNamespace $namespace
    }

    It 'measures the shaped rate (tbf 40 Mbit/s) within 15 %' {
        if ($netnsUnavailable) { Set-ItResult -Skipped -Because $netnsUnavailable; return }
        $expected = $shapedRateMbit * 1e6 / 8 / 1MB   # 4.768 MB/s (MB = 1,048,576 bytes)
        # Samples of 10 MiB take about 2.2 s each at this rate, one every 3 s.
        $r = Measure-ClydeRegistryProbe "$($shaped.Host)/clyde/big:v1" -Local -AllowInsecureHttp -SampleBytes 10MB -Interval 3s -Duration 15s
        $r.BlobSizeBytes | Should -BeGreaterThan 60MB
        $r.Samples | Should -Be 5
        $r.FailedSamples | Should -Be 0
        $perSample = ($r.SampleRecords | ForEach-Object { '{0:0.000}' -f $_.BandwidthMBps }) -join ', '
        Write-Host "    shaped $shapedRateMbit Mbit/s = $('{0:0.000}' -f $expected) MB/s; measured $('{0:0.000}' -f $r.BandwidthMBps) MB/s (samples: $perSample)"
        $r.SampleRecords | ForEach-Object { $_.Bytes | Should -Be 10MB; $_.Seconds | Should -BeGreaterThan 1.5 }
        [Math]::Abs($r.BandwidthMBps - $expected) / $expected | Should -BeLessOrEqual 0.15 -Because "the probe measured $($r.BandwidthMBps) MB/s against a shaped $expected MB/s"
    }
}

Describe 'Probe drop rate and jitter against injected faults' -Skip:$registryToolsMissing {
    It 'reports the injected drop rate within 2 points and the injected jitter within 25 % plus the machine''s own timing noise' {
        # In front of the registry: one blob GET in every 10 is reset before any response byte (10 %), and each
        # other one waits a seeded delay, uniform in [5, 65] ms, before it is forwarded. Two independent uniform
        # delays differ by (65 - 5) / 3 = 20 ms on average: the jitter (mean absolute TTFB difference) injected.
        $proxy = [ClydeTest.FaultProxy]::new('127.0.0.1', $open.Port, 1234, 10, 5.0, 65.0)
        try {
            $r = Measure-ClydeRegistryProbe "$($proxy.HostPort)/clyde/app:v1" -Local -SampleBytes 4KB -Interval 0.15 -Duration 31.5
            $injectedDrop = $proxy.InjectedDropRatePct
            $injectedMad = $proxy.InjectedMadMs
            Write-Host ("    injected drop {0:0.00} % ({1} of {2}), reported {3:0.00} %; injected jitter {4:0.00} ms (expected 20), reported {5:0.00} ms" -f
                $injectedDrop, $proxy.Dropped, $proxy.SampleRequests, $r.DropRatePct, $injectedMad, $r.JitterMs)
            $r.Samples | Should -BeGreaterOrEqual 150
            # Every sample is one request the proxy saw, and no dropped request was retried behind the probe's back.
            $proxy.SampleRequests | Should -Be $r.Samples
            # A sample can also end at its time limit before any response on a loaded machine: that is a real
            # (and reported) drop, but not one the proxy injected. Those are told apart by their error; the rest of
            # the failures are exactly the proxy's resets.
            $timedOut = @($r.SampleRecords | Where-Object { -not $_.Success -and $_.Error -match 'within the interval|time ?out|timed out' }).Count
            $timedOut | Should -BeLessOrEqual ([Math]::Ceiling($r.Samples * 0.10)) -Because 'more than a tenth of the samples timing out means the machine was too loaded to measure anything'
            $r.FailedSamples - $timedOut | Should -Be $proxy.Dropped
            $r.SampleRecords | Where-Object { -not $_.Success } | ForEach-Object { $_.StatusCode | Should -Be 0 }
            # The reported rate is every failure over every sample; without the load-induced timeouts it is the injected 10 %.
            $r.DropRatePct | Should -Be ([Math]::Round(100.0 * $r.FailedSamples / $r.Samples, 3))
            [Math]::Abs(100.0 * ($r.FailedSamples - $timedOut) / $r.Samples - 10) | Should -BeLessOrEqual 2
            [Math]::Abs($r.DropRatePct - $injectedDrop) | Should -BeLessOrEqual (2 + 100.0 * $timedOut / $r.Samples)
            [Math]::Abs($injectedMad - 20) / 20 | Should -BeLessOrEqual 0.25 -Because 'the seeded delays should have about their expected spread'
        }
        finally { $proxy.Dispose() }
        # The machine's own timing noise, measured right after through the same proxy without faults: a loaded machine
        # adds it to every time to first byte, so the accuracy bound is 25 % of the injected jitter plus that noise.
        $quiet = [ClydeTest.FaultProxy]::new('127.0.0.1', $open.Port, 1234, 0, 0.0, 0.0)
        try { $baseline = Measure-ClydeRegistryProbe "$($quiet.HostPort)/clyde/app:v1" -Local -SampleBytes 4KB -Interval 0.15 -Duration 6 }
        finally { $quiet.Dispose() }
        $noise = [double]$baseline.JitterMs
        Write-Host ("    jitter without injected delays (machine noise): {0:0.00} ms" -f $noise)
        [Math]::Abs($r.JitterMs - $injectedMad) | Should -BeLessOrEqual (0.25 * $injectedMad + $noise)
    }
}

Describe 'Proxies from the environment' -Skip:$registryToolsMissing {
    BeforeAll {
        $script:forward = [ClydeTest.ForwardProxy]::new()
    }

    AfterAll {
        Set-ProxyEnvironment @{}
        if ($forward) { $forward.Dispose() }
    }

    BeforeEach { $forward.Clear() }

    AfterEach { Set-ProxyEnvironment @{} }

    It 'tunnels HTTPS through HTTPS_PROXY (CONNECT), read at each call' -Skip:$noRemoteAddress {
        # Set in this session after earlier calls: .NET's default proxy would have read the environment once.
        Set-ProxyEnvironment @{ HTTPS_PROXY = $forward.Url }
        $image = Get-ClydeImage "$($remoteTls.Host)/clyde/app:v1" -CaCertificatePath $pki.CaPath
        $image.Digest | Should -Be $single.Digest
        @($forward.Requests) | Should -Contain "CONNECT $($remoteTls.Host)"
        $r = Measure-ClydeRegistryProbe $image -Local -CaCertificatePath $pki.CaPath -Interval 0.2 -Duration 0.4 -SampleBytes 16KB
        $r.FailedSamples | Should -Be 0
        @($forward.Requests | Where-Object { $_ -eq "CONNECT $($remoteTls.Host)" }).Count | Should -BeGreaterThan 1
    }

    It 'forwards plain HTTP through HTTP_PROXY (lower-case names work too)' -Skip:$noRemoteAddress {
        Set-ProxyEnvironment @{ http_proxy = $forward.HostPort }   # no scheme: http:// as Docker assumes
        (Get-ClydeImage "$($remotePlain.Host)/clyde/app:v1" -AllowInsecureHttp).Digest | Should -Be $single.Digest
        @($forward.Requests) | Should -Contain "GET http://$($remotePlain.Host)/v2/clyde/app/manifests/v1"
    }

    It 'goes direct to a registry NO_PROXY names (<Form>)' -Skip:$noRemoteAddress -ForEach @(
        @{ Form = 'the address'; NoProxy = { $remoteAddress } }
        @{ Form = 'addresses with ports in a list'; NoProxy = { "registry.example.com, $($remoteTls.Host),$($remotePlain.Host)" } }
        @{ Form = 'a CIDR range'; NoProxy = { ($remoteAddress -replace '\.\d+$', '.0') + '/24' } }
        @{ Form = 'everything (*)'; NoProxy = { '*' } }
    ) {
        Set-ProxyEnvironment @{ HTTPS_PROXY = $forward.Url; HTTP_PROXY = $forward.Url; NO_PROXY = (& $NoProxy) }
        (Get-ClydeImage "$($remoteTls.Host)/clyde/app:v1" -CaCertificatePath $pki.CaPath).Digest | Should -Be $single.Digest
        (Get-ClydeImage "$($remotePlain.Host)/clyde/app:v1" -AllowInsecureHttp).Digest | Should -Be $single.Digest
        $forward.Count | Should -Be 0
    }

    It 'still uses the proxy for a registry NO_PROXY does not name' -Skip:$noRemoteAddress {
        Set-ProxyEnvironment @{ HTTPS_PROXY = $forward.Url; NO_PROXY = "registry.example.com,$($remoteAddress):1" }
        (Get-ClydeImage "$($remoteTls.Host)/clyde/app:v1" -CaCertificatePath $pki.CaPath).Digest | Should -Be $single.Digest
        $forward.Count | Should -BeGreaterThan 0
    }

    It 'never proxies a loopback registry, as Docker and containerd do' {
        Set-ProxyEnvironment @{ HTTPS_PROXY = $forward.Url; HTTP_PROXY = $forward.Url }
        (Get-ClydeImage "$($open.Host)/clyde/app:v1").Digest | Should -Be $single.Digest
        (Get-ClydeImage "$($tls.Host)/clyde/app:v1" -CaCertificatePath $pki.CaPath).Digest | Should -Be $single.Digest
        $localhost = $open.Host -replace '^127\.0\.0\.1', 'localhost'
        (Get-ClydeImage "$localhost/clyde/app:v1").Digest | Should -Be $single.Digest
        $forward.Count | Should -Be 0
    }

    It 'keeps a proxy password out of every stream' -Skip:$noRemoteAddress {
        $proxyPassword = 'Pr0xy-' + [guid]::NewGuid().ToString('N').Substring(0, 10)
        Set-ProxyEnvironment @{ HTTPS_PROXY = "http://proxyuser:$proxyPassword@$($forward.HostPort)" }
        $DebugPreference = 'Continue'
        $output = & {
            Get-ClydeImage "$($remoteTls.Host)/clyde/app:v1" -CaCertificatePath $pki.CaPath -Verbose -Debug
            try { Get-ClydeImage "$($remoteTls.Host)/clyde/app:v1" -Verbose -Debug -ErrorAction Stop } catch { $_ }
        } *>&1
        $DebugPreference = 'SilentlyContinue'
        $forward.Count | Should -BeGreaterThan 0
        $text = ($output | ForEach-Object { if ($_ -is [System.Management.Automation.ErrorRecord]) { $_.Exception.ToString() } elseif ($_.Message) { $_.Message } else { $_ | Out-String } }) -join "`n"
        $text | Should -Match 'HTTPS_PROXY=http://127\.0\.0\.1'
        $text | Should -Not -Match ([regex]::Escape($proxyPassword))
    }
}
