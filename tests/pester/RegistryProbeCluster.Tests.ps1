# Measure-ClydeRegistryProbe in-cluster: probe pods on a Lab, simulated by the Lab's probe role over its transfer model.
BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $script:ProbeImage = 'curlimages/curl:8.11.1'
    $script:Image = 'example.com/big/model:1'
    # Two public and two private workers; every node's downlink (60 MB/s) is the narrowest link of its samples.
    $spec = @{
        seed       = 11
        network    = @{ registryBandwidthMBps = 2000; natBandwidthMBps = 1000; nodeBandwidthMBps = 60 }
        images     = @(@{ reference = $script:Image; size = '2Gi'; layerCount = 4; platforms = @('linux/amd64') })
        nodeGroups = @(
            @{ name = 'pub'; count = 3; public = $true; namePattern = 'pub-{0}' },
            @{ name = 'priv'; count = 3; namePattern = 'priv-{0}' }
        )
    }
    $script:Lab = Start-ClydeLab -ClusterFile (New-TestClusterFile -Spec $spec) -TimeScale 20
    $script:Kube = $script:Lab.KubeconfigPath
    $script:Headers = @{ Authorization = "Bearer $((Get-Content -Raw (Join-Path $script:Lab.StateDirectory 'token')).Trim())" }

    function Get-ProbePod {
        (Invoke-RestMethod -Uri "$($script:Lab.Url)/api/v1/pods?labelSelector=clydeps.io%2Frole%3Dprobe" -Headers $script:Headers).items
    }
    function Set-LabFault([hashtable] $Plan) {
        $null = Invoke-RestMethod -Method Put -Uri "$($script:Lab.Url)/clydelab/v1/faults" -Headers $script:Headers `
            -ContentType 'application/json' -Body ($Plan | ConvertTo-Json -Depth 10 -Compress)
    }
    # Large samples keep each transfer long against the Lab's timer granularity at a high time scale.
    $script:Probe = @{ Kubeconfig = $script:Kube; Image = $script:Image; SampleBytes = 64MB; Interval = '2s'; Duration = '20s' }
}

AfterAll {
    if ($script:Lab) { $script:Lab | Stop-ClydeLab }
}

Describe 'Measure-ClydeRegistryProbe in-cluster' {
    AfterEach { Set-LabFault @{} }

    It 'probes from two nodes of each network class and is healthy at the modelled bandwidth' {
        $r = Measure-ClydeRegistryProbe @Probe
        $r.Mode | Should -Be 'InCluster'
        $r.Namespace | Should -Be 'default'
        @($r.Probers) | Should -Be @('priv-0', 'priv-1', 'pub-0', 'pub-1')
        $r.Samples | Should -BeGreaterOrEqual 39
        $r.Samples | Should -BeLessOrEqual 41
        $r.FailedSamples | Should -Be 0
        $r.BandwidthMBps | Should -BeGreaterThan 54
        $r.BandwidthMBps | Should -BeLessOrEqual 60.5
        $r.Healthy | Should -BeTrue
        $r.Failures.Count | Should -Be 0
        @($r.SampleRecords | Where-Object StatusCode -ne 206) | Should -HaveCount 0
        @(Get-ProbePod) | Should -HaveCount 0
    }

    It 'takes nodes from the pipeline (ClydeNode objects) and writes raw samples' {
        $samples = Get-ClydeNodeNetwork -Kubeconfig $Kube -Name 'pub-2' |
            Measure-ClydeRegistryProbe -Kubeconfig $Kube -Image $Image -SampleBytes 16MB -Interval 1 -Duration 5 -Raw
        @($samples).Count | Should -Be 5
        @($samples.Prober | Sort-Object -Unique) | Should -Be @('pub-2')
        $samples[0].PSObject.TypeNames[0] | Should -Be 'ClydePS.ClydeProbeSample'
    }

    It 'reports a degraded registry (slowdown and drops) as unhealthy with the reasons' {
        Set-LabFault @{ registry = @{ slowdownFactor = 200; dropRate = 0.3 } }
        $r = Measure-ClydeRegistryProbe @Probe
        $r.Healthy | Should -BeFalse
        $r.FailedSamples | Should -BeGreaterThan 0
        $r.DropRatePct | Should -BeGreaterThan 1
        $r.BandwidthMBps | Should -BeLessThan 50
        $r.Reason | Should -Match 'bandwidth'
        $r.Reason | Should -Match 'drop rate'
        @($r.SampleRecords | Where-Object { -not $_.Success } | Where-Object StatusCode -ne 0) | Should -HaveCount 0
    }

    It 'counts the samples of a probe pod whose image pull fails as dropped, with the reason' {
        # An image no earlier test pulled, so priv-1 must pull it (kubelet skips pulls of cached images).
        $probeImage = 'curlimages/curl:8.10.1'
        Set-LabFault @{ pulls = @(@{ image = $probeImage; node = 'priv-1' }) }
        $r = Measure-ClydeRegistryProbe @Probe -ProbeImage $probeImage -WarningVariable warnings -WarningAction SilentlyContinue
        $r.Samples | Should -BeGreaterOrEqual 39
        @($r.SampleRecords | Where-Object Prober -eq 'priv-1' | Where-Object Success) | Should -HaveCount 0
        @($r.SampleRecords | Where-Object Prober -eq 'priv-1').Count | Should -Be 10
        $r.Failures['priv-1'] | Should -Match 'ImagePullBackOff'
        $r.Failures.Keys | Should -Be @('priv-1')
        $r.Reason | Should -Match 'priv-1'
        $r.DropRatePct | Should -BeGreaterOrEqual 24
        $r.Healthy | Should -BeFalse
        $warnings | Should -Not -BeNullOrEmpty
        @(Get-ProbePod) | Should -HaveCount 0
    }

    It '-WhatIf lists the probe pods and creates nothing' {
        $before = Invoke-RestMethod -Uri "$($Lab.Url)/clydelab/v1/stats" -Headers $Headers
        $out = Measure-ClydeRegistryProbe @Probe -WhatIf
        $out | Should -BeNullOrEmpty
        @(Get-ProbePod) | Should -HaveCount 0
        $after = Invoke-RestMethod -Uri "$($Lab.Url)/clydelab/v1/stats" -Headers $Headers
        $creates = { param($s) ($s.requests | Where-Object { $_.verb -eq 'create' -and $_.resource -eq 'pods' } | Measure-Object count -Sum).Sum }
        (& $creates $after) | Should -Be (& $creates $before)
    }

    It 'rejects an unknown node before creating anything' {
        { Measure-ClydeRegistryProbe @Probe -Node 'nope' } | Should -Throw -ErrorId 'ClydeNodeNotFound*'
        @(Get-ProbePod) | Should -HaveCount 0
    }

    It 'deletes its probe pods when stopped (Ctrl+C)' {
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript("Import-Module '$env:CLYDEPS_MODULE'; Measure-ClydeRegistryProbe -Kubeconfig '$Kube' -Image '$Image' -Interval 2 -Duration 600")
            $async = $ps.BeginInvoke()
            $deadline = [DateTime]::UtcNow.AddSeconds(60)
            while (@(Get-ProbePod | Where-Object { $_.status.phase -eq 'Running' }).Count -lt 4 -and [DateTime]::UtcNow -lt $deadline) {
                Start-Sleep -Milliseconds 200
            }
            @(Get-ProbePod).Count | Should -Be 4
            $ps.Stop()
            $async.IsCompleted | Should -BeTrue
            $left = @(Get-ProbePod | Where-Object { -not $_.metadata.deletionTimestamp })
            ($left | ForEach-Object { "$($_.metadata.name) $($_.status.phase) $($_.metadata.creationTimestamp)" }) -join '; ' | Should -BeNullOrEmpty
        }
        finally { $ps.Dispose() }
    }

    It 'reads -ImagePullSecret from -Namespace, where the probe pods mount it' {
        $ns = 'probes'
        $null = Invoke-RestMethod -Method Post -Uri "$($Lab.Url)/api/v1/namespaces" -Headers $Headers -ContentType 'application/json' `
            -Body (@{ apiVersion = 'v1'; kind = 'Namespace'; metadata = @{ name = $ns } } | ConvertTo-Json -Compress)
        $config = @{ auths = @{ 'example.com' = @{ auth = [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes('probe:pull-secret-pw')) } } } | ConvertTo-Json -Depth 5 -Compress
        $secret = @{ apiVersion = 'v1'; kind = 'Secret'; type = 'kubernetes.io/dockerconfigjson'; metadata = @{ name = 'regcred' }
            data = @{ '.dockerconfigjson' = [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes($config)) } }
        $null = Invoke-RestMethod -Method Post -Uri "$($Lab.Url)/api/v1/namespaces/$ns/secrets" -Headers $Headers -ContentType 'application/json' `
            -Body ($secret | ConvertTo-Json -Depth 5 -Compress)
        # The secret exists only in -Namespace, not in the context's namespace (default).
        $r = Measure-ClydeRegistryProbe @Probe -Namespace $ns -ImagePullSecret regcred -Node pub-0 -Duration 4s -Verbose 4>&1 |
            Where-Object { $_ -is [ClydePS.ClydeProbeResult] -or ($_ -is [System.Management.Automation.VerboseRecord] -and $_.Message -like '*pull secret*') }
        $verbose = @($r | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] })
        $verbose[0].Message | Should -Match 'probes/regcred'
        $result = $r | Where-Object { $_ -is [ClydePS.ClydeProbeResult] }
        $result.Namespace | Should -Be $ns
        $result.Samples | Should -BeGreaterThan 0
        ($verbose.Message -join ' ') | Should -Not -Match 'pull-secret-pw'
    }
}
