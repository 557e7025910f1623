# The in-cluster probe pod's script, run for real: POSIX sh and curl on this machine against real registries
# (open, basic auth through a mounted docker config, bearer-token challenge), so the command the Lab
# simulates is known to work where a real kubelet runs it.
BeforeDiscovery {
    $script:toolsMissing = -not ((Get-Command docker-registry -ErrorAction Ignore) -and (Get-Command skopeo -ErrorAction Ignore) -and
        (Get-Command htpasswd -ErrorAction Ignore) -and (Get-Command curl -ErrorAction Ignore) -and (Test-Path /bin/sh))
}

BeforeAll {
    . $PSScriptRoot/Common.ps1
    . $PSScriptRoot/RegistryFixture.ps1
    Import-RegistryTestServers

    $script:user = 'probe-user'
    $script:password = 'Pr0be-' + [guid]::NewGuid().ToString('N').Substring(0, 10)
    $set = Start-TestRegistrySet -Root $TestDrive -User $user -Password $password
    $script:open = $set.Open; $script:basic = $set.Basic; $script:bearer = $set.Bearer; $script:tokens = $set.Tokens
    $layout = New-TestImageLayout -Path (Join-Path $TestDrive 'img') -Tag v1 -Seed 21 -LayerSizes 300KB, 100KB
    Publish-TestImage $layout "$($open.Host)/clyde/probe:v1"

    $script:image = Get-ClydeImage "$($open.Host)/clyde/probe:v1"
    $script:engine = [ClydePS.ClydeNode].Assembly

    # The curl image's shell is busybox ash; Debian's /bin/sh is dash. The script must work under both.
    function Invoke-ProbeScript([string] $RegistryHost, [string] $AuthFile, [int] $Samples = 3, [long] $SampleBytes = 65536, [string] $Shell = 'dash') {
        $url = "http://$RegistryHost/v2/clyde/probe/blobs/$($image.LargestLayer.Digest)"
        $specType = $engine.GetType('ClydePS.Engine.Probe.ProbeCommandSpec')
        $spec = [Activator]::CreateInstance($specType, @($url, [TimeSpan]::FromSeconds(1), $SampleBytes, $Samples, $AuthFile))
        # Enumerate: the engine returns a read-only list, which PowerShell does not always index.
        $argv = @(foreach ($a in $engine.GetType('ClydePS.Engine.Probe.ProbeCommand')::Build($spec)) { [string]$a })
        $argv[0] | Should -Be 'sh'
        $lines = if ($Shell -eq 'busybox') { & busybox sh -c $argv[2] 2>&1 } else { & /bin/sh -c $argv[2] 2>&1 }
        $LASTEXITCODE | Should -Be 0
        return @($lines | ForEach-Object { "$_" } | Where-Object { $_ -match '\S' })
    }

    function Assert-Samples([string[]] $Lines, [int] $Count, [long] $Bytes) {
        $Lines | Should -HaveCount $Count
        foreach ($line in $Lines) {
            # %{speed_download} %{http_code} %{size_download} %{time_total} %{time_starttransfer}
            $f = $line -split ' '
            $f | Should -HaveCount 5 -Because $line
            $f[1] | Should -Be '206' -Because $line
            [long]$f[2] | Should -Be $Bytes -Because $line
            [double]$f[0] | Should -BeGreaterThan 0
            [double]$f[4] | Should -BeLessOrEqual ([double]$f[3])
        }
    }
}

AfterAll {
    Stop-TestRegistry $open, $basic, $bearer
    if ($tokens) { $tokens.Dispose() }
}

Describe 'The probe pod script under a real sh and curl' -Skip:$toolsMissing {
    It 'samples an open registry with Range requests, one write-out line per sample (<Shell>)' -ForEach @(
        @{ Shell = 'dash' }
        @{ Shell = 'busybox' }
    ) {
        if ($Shell -eq 'busybox' -and -not (Get-Command busybox -ErrorAction Ignore)) { throw 'busybox is missing: build.ps1 installs it.' }
        Assert-Samples (Invoke-ProbeScript $open.Host '' -Shell $Shell) 3 65536
    }

    It 'follows a bearer-token challenge under busybox ash, as in the curl image' {
        $config = Join-Path $TestDrive 'bearer-bb-config.json'
        $auth = [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes("${user}:$password"))
        @{ auths = @{ $bearer.Host = @{ auth = $auth } } } | ConvertTo-Json -Depth 5 | Set-Content $config
        Assert-Samples (Invoke-ProbeScript $bearer.Host $config 2 -Shell busybox) 2 65536
    }

    It 'authenticates with basic credentials from a mounted docker config' {
        $config = Join-Path $TestDrive 'basic-config.json'
        $auth = [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes("${user}:$password"))
        @{ auths = @{ $basic.Host = @{ auth = $auth } } } | ConvertTo-Json -Depth 5 | Set-Content $config
        $lines = Invoke-ProbeScript $basic.Host $config 2
        Assert-Samples $lines 2 65536
        ($lines -join "`n") | Should -Not -Match ([regex]::Escape($password))
    }

    It 'follows a bearer-token challenge with the mounted credentials' {
        $config = Join-Path $TestDrive 'bearer-config.json'
        $auth = [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes("${user}:$password"))
        @{ auths = @{ $bearer.Host = @{ auth = $auth } } } | ConvertTo-Json -Depth 5 | Set-Content $config
        Assert-Samples (Invoke-ProbeScript $bearer.Host $config 2) 2 65536
    }

    It 'prints a failed sample (code 000) when the registry is gone, and still exits 0' {
        $port = Get-FreeTcpPort
        $lines = Invoke-ProbeScript "127.0.0.1:$port" '' 2
        $lines | Should -HaveCount 2
        $lines | ForEach-Object { ($_ -split ' ')[1] | Should -Be '000' }
    }
}
