# Get-ClydeImage (and the registry client under it) against real CNCF distribution registries on loopback.
BeforeDiscovery {
    $script:registryToolsMissing = -not ((Get-Command docker-registry -ErrorAction Ignore) -and (Get-Command skopeo -ErrorAction Ignore) -and
        (Get-Command htpasswd -ErrorAction Ignore))
}

BeforeAll {
    . $PSScriptRoot/Common.ps1
    . $PSScriptRoot/RegistryFixture.ps1
    Import-RegistryTestServers

    # One storage behind an open registry, basic auth (htpasswd, bcrypt) and token auth.
    $script:user = 'clyde-user'
    $script:password = 'S3cret-P4ss-' + [guid]::NewGuid().ToString('N').Substring(0, 8)
    $set = Start-TestRegistrySet -Root $TestDrive -User $user -Password $password
    $script:open = $set.Open; $script:basic = $set.Basic; $script:bearer = $set.Bearer; $script:tokens = $set.Tokens
    $script:single = New-TestImageLayout -Path (Join-Path $TestDrive 'single') -Tag v1 -Seed 11
    $script:multi = New-TestImageLayout -Path (Join-Path $TestDrive 'multi') -Tag v1 -Platforms 'linux/amd64', 'linux/arm64/v8' -Seed 12 -LayerSizes 100KB, 400KB, 50KB
    Publish-TestImage $single "$($open.Host)/clyde/app:v1"
    Publish-TestImage $multi "$($open.Host)/clyde/multi:v1"

    $script:credential = [pscredential]::new($user, (ConvertTo-SecureString $password -AsPlainText -Force))
    # No docker config of the machine's user may leak into the tests.
    $script:home0 = $env:HOME
    $script:dockerConfig0 = $env:DOCKER_CONFIG
    $env:HOME = Join-Path $TestDrive 'home'
    $null = New-Item -ItemType Directory -Force $env:HOME
    $env:DOCKER_CONFIG = $null
}

AfterAll {
    Stop-TestRegistry $open, $basic, $bearer
    if ($tokens) { $tokens.Dispose() }
    $env:HOME = $home0
    $env:DOCKER_CONFIG = $dockerConfig0
}

Describe 'Get-ClydeImage' -Skip:$registryToolsMissing {
    It 'resolves a single-platform image: digest, platform, layers and sizes' {
        $image = Get-ClydeImage "$($open.Host)/clyde/app:v1"
        $image | Should -BeOfType ([ClydePS.ClydeImage])
        $image.Image | Should -Be "$($open.Host)/clyde/app:v1"
        $image.Registry | Should -Be $open.Host
        $image.Repository | Should -Be 'clyde/app'
        $image.Tag | Should -Be 'v1'
        $image.Digest | Should -Be $single.Digest
        $image.PlatformDigest | Should -Be $single.Digest
        $image.ManifestDigests | Should -Be @($single.Digest)
        $image.Platform | Should -Be 'linux/amd64'
        $image.Platforms | Should -Be @('linux/amd64')
        $image.MultiPlatform | Should -BeFalse
        $image.Layers | Should -HaveCount 2
        $image.Layers[0].Digest | Should -Be $single.Images[0].Layers[0].digest
        $sizes = $single.Images[0].Layers | ForEach-Object size
        $image.Layers[0].SizeBytes | Should -Be $sizes[0]
        $image.Layers[0].SizeBytes | Should -BeGreaterThan 300KB
        $image.SizeBytes | Should -Be ($sizes[0] + $sizes[1])
        $image.LargestLayer.Digest | Should -Be $single.Images[0].Layers[0].digest
        $image.LargestLayerSizeBytes | Should -Be $sizes[0]
    }

    It 'picks the platform of a multi-platform image and reports the index digest' {
        $amd = Get-ClydeImage "$($open.Host)/clyde/multi:v1"
        $amd.MultiPlatform | Should -BeTrue
        $amd.Digest | Should -Be $multi.Digest
        $amd.Platforms | Should -Be @('linux/amd64', 'linux/arm64/v8')
        $amd.Platform | Should -Be 'linux/amd64'
        $amd.PlatformDigest | Should -Be $multi.Images[0].Digest
        $amd.ManifestDigests | Should -Be @($multi.Images[0].Digest, $multi.Images[1].Digest)
        $amd.LargestLayer.Digest | Should -Be $multi.Images[0].Layers[1].digest

        $arm = Get-ClydeImage "$($open.Host)/clyde/multi:v1" -Platform linux/arm64
        $arm.Platform | Should -Be 'linux/arm64/v8'
        $arm.PlatformDigest | Should -Be $multi.Images[1].Digest
        $arm.Digest | Should -Be $multi.Digest
        $arm.Layers[0].Digest | Should -Be $multi.Images[1].Layers[0].digest
    }

    It 'reports a platform the image does not offer as ClydeImagePlatformNotFound' {
        { Get-ClydeImage "$($open.Host)/clyde/multi:v1" -Platform linux/s390x -ErrorAction Stop } |
            Should -Throw -ErrorId 'ClydeImagePlatformNotFound*' -ExpectedMessage '*linux/arm64/v8*'
    }

    It 'resolves digest references and tag+digest references' {
        $byDigest = Get-ClydeImage "$($open.Host)/clyde/multi@$($multi.Digest)"
        $byDigest.Digest | Should -Be $multi.Digest
        $byDigest.Tag | Should -BeNullOrEmpty
        $both = Get-ClydeImage "$($open.Host)/clyde/app:ignored@$($single.Digest)"
        $both.Digest | Should -Be $single.Digest
        # A platform manifest digest resolves to that manifest.
        (Get-ClydeImage "$($open.Host)/clyde/multi@$($multi.Images[1].Digest)").Platform | Should -Be 'linux/arm64/v8'
    }

    It 'takes images from the pipeline, by value and by property name' {
        $images = "$($open.Host)/clyde/app:v1", "$($open.Host)/clyde/multi:v1" | Get-ClydeImage
        $images.Digest | Should -Be @($single.Digest, $multi.Digest)
        $again = $images | Get-ClydeImage
        $again.Digest | Should -Be @($single.Digest, $multi.Digest)
    }

    It 'writes ClydeImageNotFound for an unknown tag and an unknown repository and goes on' {
        $found = Get-ClydeImage "$($open.Host)/clyde/app:nope", "$($open.Host)/clyde/nothing:v1", "$($open.Host)/clyde/app:v1" -ErrorVariable errs -ErrorAction SilentlyContinue
        $found.Image | Should -Be "$($open.Host)/clyde/app:v1"
        $errs | Should -HaveCount 2
        $errs | ForEach-Object { Get-ErrorId $_ | Should -Be 'ClydeImageNotFound'; $_.CategoryInfo.Category | Should -Be 'ObjectNotFound' }
        $errs[0].TargetObject | Should -Be "$($open.Host)/clyde/app:nope"
        $errs[0].Exception.Message | Should -Match 'MANIFEST_UNKNOWN'
        $errs[1].Exception.Message | Should -Match 'NAME_UNKNOWN|MANIFEST_UNKNOWN'
    }

    It 'rejects a bad reference before any request: <Case>' -ForEach @(
        @{ Case = 'upper case repository'; Ref = 'clyde/App:v1' }
        @{ Case = 'bad digest'; Ref = 'clyde/app@sha256:abc' }
        @{ Case = 'empty component'; Ref = 'clyde//app' }
        @{ Case = 'tag too long'; Ref = 'clyde/app:' + ('t' * 129) }
    ) {
        $recorder = [ClydeTest.RecordingServer]::new()
        try {
            $null = Get-ClydeImage $Ref -Mirror $recorder.Url -ErrorVariable errs -ErrorAction SilentlyContinue
            $errs | Should -HaveCount 1
            Get-ErrorId $errs[0] | Should -Be 'ClydeInvalidImageReference'
            $errs[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
            $recorder.Requests.Count | Should -Be 0
        }
        finally { $recorder.Dispose() }
    }

    It 'rejects a bad -Platform as ClydeInvalidPlatform' {
        { Get-ClydeImage "$($open.Host)/clyde/app:v1" -Platform 'linux/' -ErrorAction Stop } | Should -Throw -ErrorId 'ClydeInvalidPlatform*'
    }
}

Describe 'Registry authentication' -Skip:$registryToolsMissing {
    It 'fails with ClydeRegistryAuthFailed without credentials on a basic-auth registry' {
        { Get-ClydeImage "$($basic.Host)/clyde/app:v1" -ErrorAction Stop } |
            Should -Throw -ErrorId 'ClydeRegistryAuthFailed*' -ExpectedMessage '*-Credential*'
    }

    It 'authenticates with -Credential (Basic)' {
        (Get-ClydeImage "$($basic.Host)/clyde/app:v1" -Credential $credential).Digest | Should -Be $single.Digest
    }

    It 'fails with ClydeRegistryAuthFailed for a wrong password' {
        $wrong = [pscredential]::new($user, (ConvertTo-SecureString 'not-the-password' -AsPlainText -Force))
        $err = { Get-ClydeImage "$($basic.Host)/clyde/app:v1" -Credential $wrong -ErrorAction Stop } | Should -Throw -ErrorId 'ClydeRegistryAuthFailed*' -PassThru
        $err.CategoryInfo.Category | Should -Be 'AuthenticationError'
    }

    It 'reads credentials from a docker config.json (<Form>)' -ForEach @(
        @{ Form = 'auth'; Entry = { param($u, $p) @{ auth = [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes("${u}:$p")) } } }
        @{ Form = 'username and password'; Entry = { param($u, $p) @{ username = $u; password = $p } } }
    ) {
        $config = Join-Path $TestDrive "config-$($Form -replace ' ', '-').json"
        @{ auths = @{ "http://$($basic.Host)" = (& $Entry $user $password) } } | ConvertTo-Json -Depth 5 | Set-Content $config
        (Get-ClydeImage "$($basic.Host)/clyde/app:v1" -RegistryConfigPath $config).Digest | Should -Be $single.Digest
    }

    It 'reads $DOCKER_CONFIG/config.json by default' {
        $folder = Join-Path $TestDrive 'docker-config-dir'
        $null = New-Item -ItemType Directory -Force $folder
        @{ auths = @{ $basic.Host = @{ username = $user; password = $password } } } | ConvertTo-Json -Depth 5 | Set-Content (Join-Path $folder 'config.json')
        $env:DOCKER_CONFIG = $folder
        try { (Get-ClydeImage "$($basic.Host)/clyde/app:v1").Digest | Should -Be $single.Digest }
        finally { $env:DOCKER_CONFIG = $null }
    }

    It 'reports a missing -RegistryConfigPath file' {
        { Get-ClydeImage "$($basic.Host)/clyde/app:v1" -RegistryConfigPath (Join-Path $TestDrive 'none.json') -ErrorAction Stop } |
            Should -Throw -ErrorId 'ClydeRegistryConfigInvalid*'
    }

    It 'follows the bearer challenge to the token service and caches the token per scope' {
        $before = $tokens.TokensIssued
        $image = Get-ClydeImage "$($bearer.Host)/clyde/multi:v1" -Platform linux/arm64
        $image.Digest | Should -Be $multi.Digest
        $image.Platform | Should -Be 'linux/arm64/v8'
        # Index, platform manifest: one token for the one repository scope.
        $tokens.TokensIssued - $before | Should -Be 1
    }

    It 'sends credentials to a token service that requires them' {
        $tokens.UserName = $user
        $tokens.Password = $password
        try {
            { Get-ClydeImage "$($bearer.Host)/clyde/app:v1" -ErrorAction Stop } | Should -Throw -ErrorId 'ClydeRegistryAuthFailed*'
            (Get-ClydeImage "$($bearer.Host)/clyde/app:v1" -Credential $credential).Digest | Should -Be $single.Digest
        }
        finally { $tokens.UserName = $null; $tokens.Password = $null }
    }
}

Describe 'Registry mirrors' -Skip:$registryToolsMissing {
    It 'falls back to the registry when a mirror answers <Status>, and sends the upstream in ns' -ForEach @(
        @{ Status = 500 }, @{ Status = 404 }
    ) {
        $mirror = [ClydeTest.RecordingServer]::new()
        $mirror.Status = $Status
        try {
            $image = Get-ClydeImage "$($open.Host)/clyde/app:v1" -Mirror $mirror.Url
            $image.Digest | Should -Be $single.Digest
            $image.ServedBy | Should -Be $open.Host
            # As containerd: the upstream host goes in the ns query parameter (URL-encoded).
            [uri]::UnescapeDataString(@($mirror.Requests)[0]) | Should -Be "GET /v2/clyde/app/manifests/v1?ns=$($open.Host)"
        }
        finally { $mirror.Dispose() }
    }

    It 'falls back when the mirror cannot be reached' {
        $port = Get-FreeTcpPort
        (Get-ClydeImage "$($open.Host)/clyde/app:v1" -Mirror "http://127.0.0.1:$port").Digest | Should -Be $single.Digest
    }

    It 'uses a working mirror (from -Mirror and from a hosts.toml directory)' {
        $mirror = [ClydeTest.RecordingServer]::new()
        $mirror.Status = 0
        $mirror.Upstream = "http://$($open.Host)"
        try {
            $image = Get-ClydeImage "$($open.Host)/clyde/multi:v1" -Mirror $mirror.Url
            $image.ServedBy | Should -Be "$($mirror.Url)/"
            $image.Digest | Should -Be $multi.Digest
            @($mirror.Requests | ForEach-Object { [uri]::UnescapeDataString($_) }) | Should -Contain "GET /v2/clyde/multi/manifests/v1?ns=$($open.Host)"

            $hosts = Join-Path $TestDrive 'certs.d'
            $null = New-Item -ItemType Directory -Force (Join-Path $hosts '_default')
            @(
                '# containerd hosts.toml'
                "server = `"https://$($open.Host)`""
                ''
                "[host.`"$($mirror.Url)`"]"
                '  capabilities = ["pull", "resolve"]'
            ) | Set-Content (Join-Path $hosts '_default/hosts.toml')
            $before = $mirror.Requests.Count
            (Get-ClydeImage "$($open.Host)/clyde/app:v1" -RegistryHostsPath $hosts).ServedBy | Should -Be "$($mirror.Url)/"
            $mirror.Requests.Count | Should -BeGreaterThan $before
        }
        finally { $mirror.Dispose() }
    }
}

Describe 'Measure-ClydeRegistryProbe -Local' -Skip:$registryToolsMissing {
    It 'takes Duration / Interval samples of the largest layer and sums them up' {
        $image = Get-ClydeImage "$($open.Host)/clyde/app:v1"
        $result = $image | Measure-ClydeRegistryProbe -Local -Interval 0.25 -Duration 1.5 -SampleBytes 64KB
        $result | Should -BeOfType ([ClydePS.ClydeProbeResult])
        $result.Mode | Should -Be 'Local'
        $result.BlobDigest | Should -Be $image.LargestLayer.Digest
        $result.Samples | Should -Be 6
        $result.FailedSamples | Should -Be 0
        $result.DropRatePct | Should -Be 0
        $result.BandwidthMBps | Should -BeGreaterThan 0
        $result.JitterMs | Should -Not -BeNullOrEmpty
        $result.JitterMs | Should -BeGreaterOrEqual 0
        $result.Decided | Should -BeTrue
        $result.BandwidthThreshold | Should -Be 50
        $result.SampleRecords | ForEach-Object {
            $_.StatusCode | Should -Be 206
            $_.Bytes | Should -Be 64KB
            $_.Success | Should -BeTrue
            $_.TimeToFirstByteMs | Should -BeGreaterThan 0
        }
    }

    It 'emits every sample with -Raw and honours the thresholds' {
        $samples = Measure-ClydeRegistryProbe "$($bearer.Host)/clyde/multi:v1" -Local -Interval 0.2 -Duration 0.6 -SampleBytes 16KB -Raw
        $samples | Should -HaveCount 3
        $samples | ForEach-Object { $_ | Should -BeOfType ([ClydePS.ClydeProbeSample]); $_.Prober | Should -Be 'local'; $_.Success | Should -BeTrue }

        $strict = Measure-ClydeRegistryProbe "$($open.Host)/clyde/app:v1" -Local -Interval 0.2 -Duration 0.6 -SampleBytes 16KB -BandwidthThreshold 1000000
        $strict.Healthy | Should -BeFalse
        $strict.Reason | Should -Match 'bandwidth'
    }

    It 'counts failed samples as drops when the registry goes away' {
        $image = Get-ClydeImage "$($open.Host)/clyde/app:v1"
        $gone = [ClydeTest.RecordingServer]::new()
        $gone.Status = 0
        $gone.Upstream = "http://$($open.Host)"
        try {
            $viaMirror = Get-ClydeImage "$($open.Host)/clyde/app:v1" -Mirror $gone.Url
            $gone.Status = 503
            # With the mirror failing the samples fall back to the registry and still succeed.
            $r = $viaMirror | Measure-ClydeRegistryProbe -Local -Mirror $gone.Url -Interval 0.2 -Duration 0.6 -SampleBytes 16KB
            $r.FailedSamples | Should -Be 0
        }
        finally { $gone.Dispose() }
    }
}

Describe 'Secrets never leak' -Skip:$registryToolsMissing {
    It 'keeps the password and its base64 form out of every stream and file' {
        $base64 = [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes("${user}:$password"))
        $config = Join-Path $TestDrive 'secret-config.json'
        @{ auths = @{ $basic.Host = @{ auth = $base64 } } } | ConvertTo-Json -Depth 5 | Set-Content $config
        $wrong = [pscredential]::new($user, (ConvertTo-SecureString "$password-wrong" -AsPlainText -Force))
        $DebugPreference = 'Continue'
        $output = & {
            Get-ClydeImage "$($basic.Host)/clyde/app:v1" -Credential $credential -Verbose -Debug
            Get-ClydeImage "$($basic.Host)/clyde/app:v1" -RegistryConfigPath $config -Verbose -Debug
            Get-ClydeImage "$($bearer.Host)/clyde/app:v1" -Credential $credential -Verbose -Debug
            try { Get-ClydeImage "$($basic.Host)/clyde/app:v1" -Credential $wrong -Verbose -Debug } catch { $_ }
            try { Get-ClydeImage "$($bearer.Host)/clyde/app:v1" -RegistryConfigPath $config -Verbose -Debug } catch { $_ }
            Get-ClydeImage "$($basic.Host)/clyde/app:nope" -Credential $credential -Verbose -Debug -ErrorAction Continue
            Measure-ClydeRegistryProbe "$($basic.Host)/clyde/app:v1" -Local -Credential $credential -Interval 0.2 -Duration 0.4 -SampleBytes 8KB -Verbose -Debug
            Measure-ClydeRegistryProbe "$($bearer.Host)/clyde/app:v1" -Local -Credential $credential -Interval 0.2 -Duration 0.4 -SampleBytes 8KB -Raw -Verbose -Debug
        } *>&1
        $DebugPreference = 'SilentlyContinue'
        $text = ($output | ForEach-Object {
                if ($_ -is [System.Management.Automation.ErrorRecord]) { $_.ToString(); $_.Exception.ToString(); $_.ErrorDetails.Message }
                elseif ($_ -is [System.Management.Automation.InformationalRecord]) { $_.Message }
                else { $_ | Format-List * | Out-String -Width 500; $_ | ConvertTo-Json -Depth 6 -WarningAction Ignore }
            }) -join "`n"
        @($output | Where-Object { $_ -is [System.Management.Automation.DebugRecord] }).Count | Should -BeGreaterThan 3
        $text | Should -Match 'clyde/app'
        $text | Should -Not -Match ([regex]::Escape($password))
        $text | Should -Not -Match ([regex]::Escape($base64))
        foreach ($file in Get-ChildItem -Recurse -File $env:HOME -ErrorAction Ignore) {
            $content = Get-Content -Raw -LiteralPath $file.FullName
            $content | Should -Not -Match ([regex]::Escape($password)) -Because $file.FullName
        }
    }
}

Describe 'Get-ClydeImage on a Lab picks the platform its nodes run' {
    It 'resolves a multi-platform image to the arm64 manifest on an arm64 cluster, and -Platform overrides' {
        $file = Join-Path $TestDrive 'arm.json'
        @{ nodeGroups = @(@{ count = 3; architecture = 'arm64' }, @{ count = 1; architecture = 'amd64' }) } | ConvertTo-Json -Depth 5 | Set-Content $file
        $lab = Start-ClydeLab -ClusterFile $file
        try {
            $img = Get-ClydeImage registry.k8s.io/pause:3.9 -Kubeconfig $lab.KubeconfigPath
            $img.Platform | Should -BeLike 'linux/arm64*'
            $img.Platforms.Count | Should -BeGreaterThan 1
            (Get-ClydeImage registry.k8s.io/pause:3.9 -Kubeconfig $lab.KubeconfigPath -Platform linux/amd64).Platform | Should -Be 'linux/amd64'
        }
        finally { $lab | Stop-ClydeLab }
    }
}
