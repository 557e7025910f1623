# Start-ClydeSeed end to end on Labs: seed pods simulated by the Lab's seed role, pulls over its transfer model.
BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $script:Image = 'example.com/llm/server:v1'
    $script:Bare = 'example.com/llm/distroless-server:v1'

    # Starts a Lab and, with P2P on, waits until its spegel mirror pods are Ready on every node (as on a running cluster).
    function Start-SeedLab([hashtable] $Spec, [double] $TimeScale = 20, [int] $NotReady = 0) {
        $lab = Start-ClydeLab -ClusterFile (New-TestClusterFile -Spec $Spec) -TimeScale $TimeScale
        if ($Spec.network -and $Spec.network.p2p) { Wait-LabMirrorReady $lab -NotReady $NotReady }
        $lab
    }
    function Get-LabHeaders($Lab) {
        @{ Authorization = "Bearer $((Get-Content -Raw (Join-Path $Lab.StateDirectory 'token')).Trim())" }
    }
    function Get-RolePod($Lab, [string] $Role) {
        (Invoke-RestMethod -Uri "$($Lab.Url)/api/v1/pods?labelSelector=clydeps.io%2Frole%3D$Role" -Headers (Get-LabHeaders $Lab)).items
    }
    function Set-LabFault($Lab, [hashtable] $Plan) {
        $null = Invoke-RestMethod -Method Put -Uri "$($Lab.Url)/clydelab/v1/faults" -Headers (Get-LabHeaders $Lab) `
            -ContentType 'application/json' -Body ($Plan | ConvertTo-Json -Depth 10 -Compress)
    }
    # How many nodes list the image (kubelet reports node images a little after a pull).
    function Wait-NodeImageCount([string] $Kube, [string] $Image, [int] $Count) {
        $deadline = [DateTime]::UtcNow.AddSeconds(30)
        do { $n = @(Get-ClydeNodeImage -Kubeconfig $Kube -Image $Image | Where-Object Holds).Count }
        until ($n -ge $Count -or [DateTime]::UtcNow -gt $deadline -or (Start-Sleep -Milliseconds 250))
        $n
    }
    function Remove-SeedPod($Lab) {
        foreach ($p in @(Get-RolePod $Lab 'seed')) {
            $null = Invoke-RestMethod -Method Delete -Uri "$($Lab.Url)/api/v1/namespaces/$($p.metadata.namespace)/pods/$($p.metadata.name)?gracePeriodSeconds=0" -Headers (Get-LabHeaders $Lab)
        }
    }

    # Runs Start-ClydeSeed in a runspace, stops it (as Ctrl+C does) once $Ready says so about the run's seed pods, checks
    # that every seed pod of the run is deleted, and returns the pods seen just before the stop.
    function Stop-SeedMidRun([string] $Arguments, [scriptblock] $Ready) {
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript("Import-Module '$env:CLYDEPS_MODULE'; Start-ClydeSeed -Kubeconfig '$($script:Kube)' $Arguments")
            $async = $ps.BeginInvoke()
            $deadline = [DateTime]::UtcNow.AddSeconds(60)
            do { $pods = @(Get-RolePod $script:Lab 'seed') }
            until ((& $Ready $pods) -or $async.IsCompleted -or [DateTime]::UtcNow -gt $deadline -or (Start-Sleep -Milliseconds 50))
            $ps.Stop()
            $async.IsCompleted | Should -BeTrue
            $left = @(Get-RolePod $script:Lab 'seed' | Where-Object { -not $_.metadata.deletionTimestamp })
            ($left | ForEach-Object { "$($_.metadata.name) $($_.status.phase)" }) -join '; ' | Should -BeNullOrEmpty
            $pods
        }
        finally { $ps.Dispose() }
    }

    # Ten private workers behind one NAT, P2P on, plus nodes seeding must skip.
    $privateSpec = @{
        seed       = 5
        network    = @{ registryBandwidthMBps = 400; natBandwidthMBps = 200; nodeBandwidthMBps = 100; p2p = $true }
        images     = @(
            @('a', 'b', 'c', 'd', 'g', 'h', 'p', 'q') | ForEach-Object { @{ reference = "example.com/llm/server-$($_):v1"; size = '1Gi'; layerCount = 4; platforms = @('linux/amd64') } }
            @('e', 'f') | ForEach-Object { @{ reference = "example.com/llm/server-$($_):v1"; size = '4Gi'; layerCount = 4; platforms = @('linux/amd64') } }
            @{ reference = 'example.com/llm/server-s:v1'; size = '4Gi'; layerCount = 8; platforms = @('linux/amd64') }
            @{ reference = 'example.com/llm/server-x:v1'; size = '16Gi'; layerCount = 8; platforms = @('linux/amd64') }
            @{ reference = $script:Image; size = '1Gi'; layerCount = 4; platforms = @('linux/amd64') },
            @{ reference = $script:Bare; size = '256Mi'; layerCount = 2; platforms = @('linux/amd64'); hasShell = $false }
        )
        nodeGroups = @(
            @{ name = 'w'; count = 10; namePattern = 'w-{0:00}'; zones = @('z-a', 'z-b') },
            @{ name = 'gpu'; count = 1; namePattern = 'gpu-{0}'; taints = @(@{ key = 'dedicated'; value = 'gpu'; effect = 'NoSchedule' }) },
            @{ name = 'down'; count = 2; namePattern = 'down-{0}'; notReady = 1; unschedulable = 1 },
            @{ name = 'arm'; count = 1; namePattern = 'arm-{0}'; architecture = 'arm64' }
        )
    }
    $script:Lab = Start-SeedLab $privateSpec -NotReady 1
    $script:Kube = $script:Lab.KubeconfigPath
}

AfterAll {
    if ($script:Lab) { $script:Lab | Stop-ClydeLab }
}

Describe 'Start-ClydeSeed on a private cluster with P2P' {
    AfterEach {
        Set-LabFault $Lab @{}
        Remove-SeedPod $Lab
    }

    It 'seeds half of the eligible nodes in doubling waves and keeps the seed pods' {
        $r = Start-ClydeSeed -Kubeconfig $Kube -Image 'example.com/llm/server-a:v1' -Strategy Doubling -InitialSeeds 2
        $r | Should -BeOfType ClydePS.ClydeSeedResult
        $r.NetworkClass | Should -Be 'Private'
        $r.Eligible | Should -Be 10
        $r.Target | Should -Be 5
        $r.Seeded | Should -Be 5
        @($r.Waves | ForEach-Object { $_.Nodes.Count }) | Should -Be @(2, 3)
        @($r.SeededNodes | Where-Object { $_ -notlike 'w-*' }) | Should -HaveCount 0
        $r.Skipped.Node | Should -Contain 'gpu-0'
        $r.Skipped.Node | Should -Contain 'arm-0'
        ($r.Skipped | Where-Object Node -eq 'gpu-0').Reason | Should -Match 'dedicated'
        $r.Pulls | Where-Object { -not $_.Succeeded } | Should -BeNullOrEmpty
        $r.Pulls | ForEach-Object { $_.ImageId | Should -Match '@sha256:' ; $_.Duration.TotalSeconds | Should -BeGreaterThan 0 }
        $pods = @(Get-RolePod $Lab 'seed')
        $pods | Should -HaveCount 5
        @($pods.spec.nodeName | Sort-Object) | Should -Be @($r.SeededNodes)
        @($r.SeedPods | Sort-Object) | Should -Be @($pods.metadata.name | Sort-Object)
        $pods[0].metadata.labels.'app.kubernetes.io/managed-by' | Should -Be 'ClydePS'
        $pods[0].metadata.labels.'clydeps.io/run' | Should -Be $r.RunId
        $pods[0].metadata.annotations.'clydeps.io/digest' | Should -Be $r.Digest
    }

    It 'resumes: nodes that already hold the digest are not pulled again' {
        $first = Start-ClydeSeed -Kubeconfig $Kube -Image 'example.com/llm/server-b:v1' -Strategy Doubling -InitialSeeds 2 -StopRatio 0.3
        $first.Seeded | Should -Be 3
        $again = Start-ClydeSeed -Kubeconfig $Kube -Image 'example.com/llm/server-b:v1' -Strategy Doubling -InitialSeeds 2 -StopRatio 0.6
        $again.Target | Should -Be 6
        @($again.AlreadySeeded | Sort-Object) | Should -Be @($first.SeededNodes | Sort-Object)
        @($again.Pulls) | Should -HaveCount 3
        @($again.Pulls.Node | Where-Object { $first.SeededNodes -contains $_ }) | Should -HaveCount 0
        $again.Seeded | Should -Be 6
    }

    It 'seeds an image without a shell through the helper binary' {
        $r = Start-ClydeSeed -Kubeconfig $Kube -Image $Bare -Strategy Doubling -Node w-00, w-01 -StopRatio 1
        $r.Seeded | Should -Be 2
        $pod = @(Get-RolePod $Lab 'seed')[0]
        $pod.spec.initContainers[0].image | Should -Match 'busybox'
        $pod.status.containerStatuses[0].state.terminated.exitCode | Should -Be 0
    }

    It 'replaces a node whose pull fails and reports it' {
        Set-LabFault $Lab @{ pulls = @(@{ image = 'example.com/llm/server-c:v1'; node = 'w-00'; message = 'registry said no' }) }
        $r = Start-ClydeSeed -Kubeconfig $Kube -Image 'example.com/llm/server-c:v1' -Strategy Doubling -InitialSeeds 2 -ErrorVariable seedErrors -ErrorAction SilentlyContinue
        $r.Seeded | Should -Be 5
        $r.SeededNodes | Should -Not -Contain 'w-00'
        $failed = @($r.Pulls | Where-Object { -not $_.Succeeded })
        $failed.Node | Should -Be 'w-00'
        $failed.Error | Should -Match 'registry said no|ImagePullBackOff'
        @($seedErrors | ForEach-Object { Get-ErrorId $_ }) | Should -Contain 'ClydeSeedPullFailed'
        @(Get-RolePod $Lab 'seed' | Where-Object { $_.spec.nodeName -eq 'w-00' }) | Should -HaveCount 0
    }

    It 'fails when more seed pulls fail than -MaxFailedSeeds, deleting its pods' {
        Set-LabFault $Lab @{ pulls = @(@{ image = 'example.com/llm/server-d:v1' }) }
        { Start-ClydeSeed -Kubeconfig $Kube -Image 'example.com/llm/server-d:v1' -Strategy Doubling -MaxFailedSeeds 1 -ErrorAction Stop } |
            Should -Throw -ErrorId 'ClydeSeedFailed*'
        @(Get-RolePod $Lab 'seed') | Should -HaveCount 0
    }

    It 'Adaptive: a healthy registry expands seeding while the first wave pulls, a degraded one does not' {
        $common = @{ Kubeconfig = $Kube; Image = 'example.com/llm/server-e:v1'; Strategy = 'Adaptive'; InitialSeeds = 2; MonitorInterval = '1s'; MonitorWindow = '4s'; MonitorBandwidthThreshold = 5 }
        $healthy = Start-ClydeSeed @common
        # The first window may be undecided while the probe pods start; the first decided one is healthy.
        ($healthy.Decisions | Where-Object { $_.Kind -eq 'Window' -and $_.Verdict -ne 'Undecided' } | Select-Object -First 1).Verdict | Should -Be 'Healthy'
        $healthy.Waves[1].Start | Should -BeLessThan $healthy.Waves[0].End
        $healthy.Seeded | Should -Be 5
        Remove-SeedPod $Lab
        @(Get-RolePod $Lab 'probe') | Should -HaveCount 0

        Set-LabFault $Lab @{ registry = @{ jitterMs = 300 } }
        $common.Image = 'example.com/llm/server-f:v1'
        $degraded = Start-ClydeSeed @common
        ($degraded.Decisions | Where-Object { $_.Kind -eq 'Window' -and $_.Verdict -ne 'Undecided' } | Select-Object -First 1).Verdict | Should -Be 'Unhealthy'
        $degraded.Waves[1].Start | Should -BeGreaterOrEqual $degraded.Waves[0].End
        $degraded.Seeded | Should -Be 5
        @(Get-RolePod $Lab 'probe') | Should -HaveCount 0
    }

    It 'Pipelined (the default) seeds every eligible node, one from the registry first, each next one when a holder can feed it' {
        $r = Start-ClydeSeed -Kubeconfig $Kube -Image 'example.com/llm/server-p:v1'
        $r.Strategy | Should -Be 'Pipelined'
        $r.Eligible | Should -Be 10
        $r.Target | Should -Be 10
        $r.Seeded | Should -Be 10
        $r.Pulls | Where-Object { -not $_.Succeeded } | Should -BeNullOrEmpty
        # one node keeps the registry busy; nobody else starts before a node holds every layer
        $r.Waves[0].Nodes | Should -HaveCount 1
        $r.Waves[0].Source | Should -Be 'Registry'
        $firstDone = ($r.Pulls | Where-Object Node -eq $r.Waves[0].Nodes[0]).End
        $r.Waves | Select-Object -Skip 1 | ForEach-Object { $_.Start | Should -BeGreaterOrEqual $firstDone }
        # the second node is fed by the first alone; then the holders double without waves of fixed size
        $r.Waves[1].Nodes | Should -HaveCount 1
        @($r.Waves).Count | Should -BeGreaterThan 3
        @($r.Decisions | Where-Object { $_.Kind -eq 'Wave' -and $_.Narrative -match 'holder\(s\)' }).Count | Should -BeGreaterThan 0
        @(Get-RolePod $Lab 'seed') | Should -HaveCount 10
        Remove-SeedPod $Lab

        $half = Start-ClydeSeed -Kubeconfig $Kube -Image 'example.com/llm/server-q:v1' -Strategy Pipelined -StopRatio 0.5 -InitialSeeds 3 -WarningVariable w -WarningAction SilentlyContinue
        $half.Target | Should -Be 5
        $half.Seeded | Should -Be 5
        "$w" | Should -Match 'InitialSeeds apply to the wave strategies only'
    }

    It 'Pipelined given the bandwidths plans its followers'' starts in the transfer model, and no follower pulls from the registry' {
        # -WhatIf previews the planned starts (each a wave of its own here) and creates nothing; what-if lines go to the host
        $preview = & (Get-PwshPath) -NoProfile -NonInteractive -Command "Import-Module '$env:CLYDEPS_MODULE'; Start-ClydeSeed -Kubeconfig '$Kube' -Image 'example.com/llm/server-s:v1' -RegistryBandwidthMBps 200 -NodeBandwidthMBps 100 -WhatIf" | Out-String
        $waveLines = @([regex]::Matches($preview, 'Wave \d+: seed pods in namespace \S+ on ([^"\r\n]+)') | ForEach-Object { $_.Groups[1].Value })
        $previewNodes = @($waveLines | ForEach-Object { $_ -split ', ' } | ForEach-Object Trim)
        $waveLines.Count | Should -BeGreaterThan 2
        $previewNodes | Should -HaveCount 10
        @($previewNodes | Select-Object -Unique) | Should -HaveCount 10
        @(Get-RolePod $Lab 'seed') | Should -HaveCount 0
        # a probe result stands for the registry bandwidth: two in-cluster probers that each saw 100 MB/s at the same time
        # mean 200 MB/s, so the preview is the same plan, and -Verbose says how the bandwidth was derived
        $probe = "[ClydePS.ClydeProbeResult]@{ Image = 'example.com/llm/server-s:v1'; Mode = 'InCluster'; Probers = @('w-01', 'w-02'); BandwidthMBps = 100; Samples = 10 }"
        $viaProbe = & (Get-PwshPath) -NoProfile -NonInteractive -Command "Import-Module '$env:CLYDEPS_MODULE'; Start-ClydeSeed -Kubeconfig '$Kube' -Image 'example.com/llm/server-s:v1' -ProbeResult ($probe) -NodeBandwidthMBps 100 -WhatIf -Verbose" | Out-String
        $viaProbe | Should -Match 'Registry bandwidth from the probe of example\.com/llm/server-s:v1: 100 MB/s x 2 concurrent prober\(s\) = 200 MB/s'
        $viaProbe | Should -Match '8 follower start\(s\) planned in the transfer model, from \+[\d.]+ s to \+[\d.]+ s after the registry copy begins'
        @([regex]::Matches($viaProbe, 'Wave \d+: seed pods in namespace \S+ on ([^"\r\n]+)') | ForEach-Object { $_.Groups[1].Value }) | Should -Be $waveLines
        @(Get-RolePod $Lab 'seed') | Should -HaveCount 0
        # NAT 200 MB/s, nodes 100 MB/s: two nodes keep the registry busy; 8 followers start on the plan
        $r = Start-ClydeSeed -Kubeconfig $Kube -Image 'example.com/llm/server-s:v1' -RegistryBandwidthMBps 200 -NodeBandwidthMBps 100
        $r.Strategy | Should -Be 'Pipelined'
        $r.Seeded | Should -Be 10
        $r.Pulls | Where-Object { -not $_.Succeeded } | Should -BeNullOrEmpty
        $r.Decisions | Where-Object Kind -eq 'Plan' | ForEach-Object Narrative | Should -Match '8 follower start\(s\) planned in the transfer model'
        $r.Waves[0].Nodes | Should -HaveCount 2
        # (followers fetch at the lane's own rate here, so the plan starts them just before the first copy completes;
        # whether the Lab's clock reaches a planned start first is timing: Rollout.Tests.ps1 shows planned starts on a slower Lab)
        # the Lab records where each pull's bytes came from: only the registry lane fetched from the registry
        $lane = $r.Waves[0].Nodes
        foreach ($p in $r.Pulls) {
            $p.BytesFromRegistry | Should -Not -BeNullOrEmpty
            if ($p.Node -notin $lane) { $p.BytesFromRegistry | Should -Be 0 -Because "$($p.Node) is a follower" }
        }
        Remove-SeedPod $Lab
    }

    It 'Ctrl+C mid-seed deletes every pod of the run, and a re-run resumes' {
        # stopped once the first wave is done and the second is pulling
        $seen = @(Stop-SeedMidRun "-Image 'example.com/llm/server-g:v1' -Strategy Doubling -InitialSeeds 2 -StopRatio 1" {
                param($pods) @($pods | Where-Object { $_.status.phase -eq 'Succeeded' }).Count -ge 2 })
        $done = @($seen | Where-Object { $_.status.phase -eq 'Succeeded' }).spec.nodeName
        $done.Count | Should -BeGreaterOrEqual 2
        # The nodes that finished list the image (kubelet reports it after a short lag): the re-run skips them.
        $h = Get-LabHeaders $Lab
        $deadline = [DateTime]::UtcNow.AddSeconds(30)
        do {
            $listed = @((Invoke-RestMethod -Uri "$($Lab.Url)/api/v1/nodes" -Headers $h).items |
                Where-Object { $done -contains $_.metadata.name -and ($_.status.images.names -match 'llm/server-g@sha256') })
        } while ($listed.Count -lt $done.Count -and [DateTime]::UtcNow -lt $deadline -and -not (Start-Sleep -Milliseconds 200))
        $again = Start-ClydeSeed -Kubeconfig $Kube -Image 'example.com/llm/server-g:v1' -Strategy Doubling -InitialSeeds 2
        foreach ($n in $done) { $again.AlreadySeeded | Should -Contain $n }
        @($again.Pulls.Node | Where-Object { $done -contains $_ }) | Should -HaveCount 0
        $again.Seeded | Should -BeGreaterOrEqual 5
    }

    It 'Ctrl+C during a planned run deletes every pod of the run' {
        # Given the bandwidths, followers start on the plan while the registry lane (two nodes here) still pulls: a third seed
        # pod before any has completed is a planned start (the rules alone wait for a complete node without layer events).
        $seen = @(Stop-SeedMidRun "-Image 'example.com/llm/server-x:v1' -RegistryBandwidthMBps 200 -NodeBandwidthMBps 100" { param($pods) $pods.Count -ge 3 })
        $seen.Count | Should -BeGreaterOrEqual 3
        @($seen | Where-Object { $_.status.phase -eq 'Succeeded' }) | Should -HaveCount 0 -Because 'followers start before the first copy completes'
    }

    It 'skips a node whose P2P mirror pod is not Ready, since peers could not fetch from it' {
        $h = Get-LabHeaders $Lab
        $mirrorPod = { param($node) @((Invoke-RestMethod -Uri "$($Lab.Url)/api/v1/namespaces/kube-system/pods?labelSelector=app.kubernetes.io%2Fname%3Dspegel&fieldSelector=spec.nodeName%3D$node" -Headers $h).items) }
        $isReady = { param($pod) @($pod.status.conditions | Where-Object { $_.type -eq 'Ready' -and $_.status -eq 'True' }).Count -eq 1 }
        $replace = {
            param([bool] $ready)
            $old = & $mirrorPod 'w-09'
            $old | Should -HaveCount 1
            $null = Invoke-RestMethod -Method Delete -Uri "$($Lab.Url)/api/v1/namespaces/kube-system/pods/$($old[0].metadata.name)?gracePeriodSeconds=0" -Headers $h
            $deadline = [DateTime]::UtcNow.AddSeconds(60)
            do { $new = @(& $mirrorPod 'w-09' | Where-Object { $_.metadata.name -ne $old[0].metadata.name -and $_.status.phase -eq 'Running' -and (& $isReady $_) -eq $ready }) }
            until ($new.Count -eq 1 -or [DateTime]::UtcNow -gt $deadline -or (Start-Sleep -Milliseconds 200))
            $new | Should -HaveCount 1 -Because "the spegel DaemonSet recreates its pod on w-09 (Ready: $ready)"
        }
        # Mirror pods started from now on never become Ready; only w-09's is restarted, so only its mirror is down.
        Set-LabFault $Lab @{ pods = @(@{ namespace = 'kube-system'; pod = 'spegel-*'; mode = 'NeverReady' }) }
        try {
            & $replace $false
            $r = Start-ClydeSeed -Kubeconfig $Kube -Image 'example.com/llm/server-h:v1' -Strategy Doubling -Node w-08, w-09 -StopRatio 1
            $r.SeededNodes | Should -Be @('w-08')
            $skip = @($r.Skipped | Where-Object Node -eq 'w-09')
            $skip | Should -HaveCount 1
            $skip[0].Reason | Should -Match 'no Ready P2P mirror pod \(kube-system/spegel\)'
            @(Get-RolePod $Lab 'seed' | Where-Object { $_.spec.nodeName -eq 'w-09' }) | Should -HaveCount 0
        }
        finally {
            Set-LabFault $Lab @{}
            & $replace $true
        }
    }

    It '-WhatIf prints the plan and creates nothing' {
        # What-if lines go to the host, so a child pwsh prints them.
        $out = & (Get-PwshPath) -NoProfile -NonInteractive -Command "Import-Module '$env:CLYDEPS_MODULE'; Start-ClydeSeed -Kubeconfig '$Kube' -Image '$Image' -Strategy Doubling -InitialSeeds 2 -WhatIf" | Out-String
        $out | Should -Match 'Wave 1: .*w-'
        $out | Should -Match 'Wave 2: '
        @(Get-RolePod $Lab 'seed') | Should -HaveCount 0
    }

    It 'rejects bad input before creating anything: <Name>' -ForEach @(
        @{ Name = 'invalid image'; Params = @{ Image = 'UPPER/case::bad' }; Id = 'ClydeInvalidImageReference' }
        @{ Name = 'stop ratio 0'; Params = @{ StopRatio = 0 }; Id = 'ClydeInvalidStopRatio' }
        @{ Name = 'stop ratio 1.5'; Params = @{ StopRatio = 1.5 }; Id = 'ClydeInvalidStopRatio' }
        @{ Name = 'negative seeds'; Params = @{ InitialSeeds = -1 }; Id = 'ParameterArgumentValidationError' }
        @{ Name = 'unknown namespace'; Params = @{ Namespace = 'nope' }; Id = 'ClydeNamespaceNotFound' }
        @{ Name = 'unknown node'; Params = @{ Node = 'ghost' }; Id = 'ClydeNodeNotFound' }
        @{ Name = 'negative registry bandwidth'; Params = @{ RegistryBandwidthMBps = -5; NodeBandwidthMBps = 100 }; Id = 'ClydeInvalidBandwidth' }
        @{ Name = 'registry bandwidth alone'; Params = @{ RegistryBandwidthMBps = 200 }; Id = 'ClydeBandwidthIncomplete' }
        @{ Name = 'a probe result alone'; Params = @{ ProbeResult = 'measured' }; Id = 'ClydeBandwidthIncomplete' }
        @{ Name = 'a probe result and a registry bandwidth'; Params = @{ ProbeResult = 'measured'; RegistryBandwidthMBps = 200; NodeBandwidthMBps = 100 }; Id = 'ClydeBandwidthConflict' }
        @{ Name = 'a string as the probe result'; Params = @{ ProbeResult = '200'; NodeBandwidthMBps = 100 }; Id = 'ClydeInvalidProbeResult' }
        @{ Name = 'a probe that measured nothing'; Params = @{ ProbeResult = 'empty'; NodeBandwidthMBps = 100 }; Id = 'ClydeInvalidProbeResult' }
    ) {
        $a = @{ Kubeconfig = $Kube; Image = $Image }
        foreach ($k in $Params.Keys) { $a[$k] = $Params[$k] }
        # probe results are made here: the data above is read before the module is loaded
        if ($a.ProbeResult -eq 'measured') { $a.ProbeResult = [ClydePS.ClydeProbeResult]@{ Image = $Image; BandwidthMBps = 150; Samples = 5 } }
        if ($a.ProbeResult -eq 'empty') { $a.ProbeResult = [ClydePS.ClydeProbeResult]@{ Image = $Image; Samples = 5 } }
        $err = $null
        try { Start-ClydeSeed @a -ErrorAction Stop } catch { $err = $_ }
        $err | Should -Not -BeNullOrEmpty
        Get-ErrorId $err | Should -BeLike "$Id*"
        @(Get-RolePod $Lab 'seed') | Should -HaveCount 0
    }
}

Describe 'Start-ClydeSeed on other cluster shapes' {
    It 'a public cluster pre-seeds -PublicSeeds nodes and stops' {
        $lab = Start-SeedLab @{ seed = 3; images = @(@{ reference = $Image; size = '128Mi'; layerCount = 2; platforms = @('linux/amd64') })
            nodeGroups = @(@{ name = 'p'; count = 6; public = $true; namePattern = 'p-{0}' }) }
        try {
            $r = Start-ClydeSeed -Kubeconfig $lab.KubeconfigPath -Image $Image -Strategy Adaptive -PublicSeeds 2 -WarningAction SilentlyContinue
            $r.NetworkClass | Should -Be 'Public'
            $r.Seeded | Should -Be 2
            @($r.Waves) | Should -HaveCount 1
            $none = Start-ClydeSeed -Kubeconfig $lab.KubeconfigPath -Image 'example.com/other:1' -Strategy Adaptive -WarningAction SilentlyContinue
            $none.Seeded | Should -Be 0
            @($none.Pulls) | Should -HaveCount 0
        }
        finally { $lab | Stop-ClydeLab }
    }

    It 'a mixed cluster takes the monitored path' {
        $lab = Start-SeedLab @{ seed = 4; network = @{ p2p = $true; nodeBandwidthMBps = 100 }
            images = @(@{ reference = $Image; size = '2Gi'; layerCount = 2; platforms = @('linux/amd64') })
            nodeGroups = @(@{ name = 'p'; count = 3; public = $true; namePattern = 'p-{0}' }, @{ name = 'q'; count = 5; namePattern = 'q-{0}' }) }
        try {
            $r = Start-ClydeSeed -Kubeconfig $lab.KubeconfigPath -Image $Image -Strategy Adaptive -MonitorInterval 1s -MonitorWindow 3s -MonitorBandwidthThreshold 1
            $r.NetworkClass | Should -Be 'Mixed'
            $r.Strategy | Should -Be 'Adaptive'
            $r.Target | Should -Be 4
            $r.Seeded | Should -Be 4
            @($r.Decisions | Where-Object Kind -eq 'Window').Count | Should -BeGreaterThan 0
            @(Get-RolePod $lab 'probe') | Should -HaveCount 0
        }
        finally { $lab | Stop-ClydeLab }
    }

    It 'given the bandwidths, a cluster with a P2P mirror where no node can run the workload is the same clear error' {
        $lab = Start-SeedLab @{ seed = 3; network = @{ p2p = $true; natBandwidthMBps = 50; nodeBandwidthMBps = 200 }
            images = @(@{ reference = $Image; size = '256Mi'; layerCount = 4; platforms = @('linux/amd64') })
            nodeGroups = @(@{ name = 'g'; count = 3; namePattern = 'g-{0}'; taints = @(@{ key = 'x'; effect = 'NoSchedule' }) }) }
        try {
            { Start-ClydeSeed -Kubeconfig $lab.KubeconfigPath -Image $Image -RegistryBandwidthMBps 50 -NodeBandwidthMBps 200 -ErrorAction Stop -WarningAction SilentlyContinue } |
                Should -Throw -ErrorId 'ClydeNoEligibleNodes*'
            @(Get-RolePod $lab 'seed') | Should -HaveCount 0
        }
        finally { $lab | Stop-ClydeLab }
    }

    It 'a cluster where no node can run the workload is a clear error' {
        $lab = Start-SeedLab @{ seed = 3; nodeGroups = @(@{ name = 'g'; count = 2; namePattern = 'g-{0}'; taints = @(@{ key = 'x'; effect = 'NoSchedule' }) }) }
        try {
            { Start-ClydeSeed -Kubeconfig $lab.KubeconfigPath -Image $Image -ErrorAction Stop -WarningAction SilentlyContinue } |
                Should -Throw -ErrorId 'ClydeNoEligibleNodes*'
            $r = Start-ClydeSeed -Kubeconfig $lab.KubeconfigPath -Image $Image -Toleration 'x:NoSchedule' -Strategy Doubling -WarningAction SilentlyContinue
            $r.Eligible | Should -Be 2
        }
        finally { $lab | Stop-ClydeLab }
    }

    It 'a node lost mid-seed is replaced by another' {
        # n-1 goes NotReady after 3 s of Lab time, while its pull of the 1 GiB image (20 s at 50 MB/s) still runs.
        $lab = Start-SeedLab @{ seed = 3; network = @{ nodeBandwidthMBps = 50; p2p = $true }
            images = @(@{ reference = $Image; size = '1Gi'; layerCount = 2; platforms = @('linux/amd64') })
            nodeGroups = @(@{ name = 'n'; count = 6; namePattern = 'n-{0}' }) }
        try {
            Set-LabFault $lab @{ nodes = @(@{ node = 'n-1'; notReadyAfterSeconds = 3 }) }
            $r = Start-ClydeSeed -Kubeconfig $lab.KubeconfigPath -Image $Image -Strategy Doubling -Node n-0, n-1, n-2, n-3 -InitialSeeds 2 -ErrorAction SilentlyContinue
            $r.Seeded | Should -Be 2
            $r.SeededNodes | Should -Not -Contain 'n-1'
            ($r.Pulls | Where-Object Node -eq 'n-1').Error | Should -Match 'NotReady|deleted'
        }
        finally { $lab | Stop-ClydeLab }
    }

    It 'Pipelined replaces a straggler: its seed pod goes, a warning names it, and another node takes its place' {
        # f-00 pulls at 1 MB/s: 256 MB take 256 s of Lab time, more than the 2 minutes a pull may run before it counts as a straggler
        $lab = Start-SeedLab @{ seed = 8; network = @{ p2p = $true; registryBandwidthMBps = 400; nodeBandwidthMBps = 100 }
            images = @(@{ reference = $Image; size = '256Mi'; layerCount = 2; platforms = @('linux/amd64') })
            nodeGroups = @(@{ name = 'f'; count = 5; namePattern = 'f-{0}' }, @{ name = 'slow'; count = 1; namePattern = 'f-0{0}'; bandwidthMBps = 1 }) }
        try {
            # target 4 of 6, so unused nodes remain when f-00 (4th in pick order) is found straggling
            $r = Start-ClydeSeed -Kubeconfig $lab.KubeconfigPath -Image $Image -Strategy Pipelined -StopRatio 0.65 -WarningVariable w -WarningAction SilentlyContinue -ErrorVariable errs -ErrorAction SilentlyContinue
            $straggler = @($r.Pulls | Where-Object Replaced)
            $straggler | Should -HaveCount 1
            $straggler[0].Node | Should -Be 'f-00'
            $straggler[0].Error | Should -Match 'straggler'
            $errs | Should -BeNullOrEmpty
            "$w" | Should -Match 'f-00 was replaced as a straggler'
            @($r.Decisions | Where-Object Kind -eq 'Straggler') | Should -HaveCount 1
            $r.SeededNodes | Should -Not -Contain 'f-00'
            $r.Seeded | Should -Be 4
            $r.Outcome | Should -Match 'target reached'
            @(Get-RolePod $lab 'seed').spec.nodeName | Should -Not -Contain 'f-00'
        }
        finally { $lab | Stop-ClydeLab }
    }

    It 'warns when no P2P mirror runs in the cluster' {
        $lab = Start-SeedLab @{ seed = 3; nodeGroups = @(@{ name = 'g'; count = 3; namePattern = 'g-{0}' }) }
        try {
            $r = Start-ClydeSeed -Kubeconfig $lab.KubeconfigPath -Image $Image -Strategy Doubling -WarningVariable w -WarningAction SilentlyContinue
            "$w" | Should -Match 'No P2P mirror'
            $r.Mirror | Should -BeNullOrEmpty
        }
        finally { $lab | Stop-ClydeLab }
    }
}

Describe 'Seeded DaemonSet rollout' {
    BeforeAll {
        $script:Dsl = Start-SeedLab @{ seed = 6; network = @{ p2p = $true; natBandwidthMBps = 200; nodeBandwidthMBps = 100 }
            images = @(
                @{ reference = 'example.com/app/web:1'; size = '1Gi'; layerCount = 3; platforms = @('linux/amd64') },
                @{ reference = 'example.com/app/web:2'; size = '1Gi'; layerCount = 3; platforms = @('linux/amd64') }
            )
            nodeGroups = @(@{ name = 'd'; count = 6; namePattern = 'd-{0}' }) }
        $script:DsKube = $script:Dsl.KubeconfigPath
    }
    AfterAll { if ($script:Dsl) { $script:Dsl | Stop-ClydeLab } }

    It 'a seed result pipes into New-ClydeDaemonSet, which releases every seed pod as the workload runs' {
        $seed = Start-ClydeSeed -Kubeconfig $DsKube -Image 'example.com/app/web:1' -DaemonSetName web -Strategy Doubling
        $seed.Name | Should -Be 'web'
        $seed.Seeded | Should -Be 3
        @(Get-RolePod $Dsl 'seed') | Should -HaveCount 3
        @(Get-RolePod $Dsl 'seed').metadata.annotations.'clydeps.io/workload' | Sort-Object -Unique | Should -Be 'default/web'
        $ds = $seed | New-ClydeDaemonSet -Kubeconfig $DsKube -Wait
        $ds.Name | Should -Be 'web'
        $ds.Available | Should -Be 6
        @(Get-RolePod $Dsl 'seed' | Where-Object { -not $_.metadata.deletionTimestamp }) | Should -HaveCount 0
        Wait-NodeImageCount $DsKube 'example.com/app/web:1' 6 | Should -Be 6
    }

    It 'an upgrade with -Seed seeds the new digest first, then rolls it out' {
        $ds = New-ClydeDaemonSet -Kubeconfig $DsKube -Name web -Image 'example.com/app/web:2' -Seed -Wait -ErrorAction Stop 3>$null
        $ds.Image | Should -Be 'example.com/app/web:2'
        $ds.Updated | Should -Be 6
        $ds.Available | Should -Be 6
        @(Get-RolePod $Dsl 'seed' | Where-Object { -not $_.metadata.deletionTimestamp }) | Should -HaveCount 0
        Wait-NodeImageCount $DsKube 'example.com/app/web:2' 6 | Should -Be 6
    }

    It '-Path takes the image, namespace, affinity and tolerations from a DaemonSet file' {
        $file = Join-Path $TestDrive 'ds.yaml'
        @'
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: pinned
  namespace: default
spec:
  selector:
    matchLabels: {app: pinned}
  template:
    metadata:
      labels: {app: pinned}
    spec:
      affinity:
        nodeAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
            nodeSelectorTerms:
            - matchExpressions:
              - {key: kubernetes.io/hostname, operator: In, values: [d-0, d-1, d-2, d-3]}
      tolerations:
      - {key: dedicated, operator: Exists, effect: NoSchedule}
      containers:
      - name: pinned
        image: example.com/app/web:1
'@ | Set-Content $file
        $r = Start-ClydeSeed -Kubeconfig $DsKube -Path $file -Strategy Doubling -WarningAction SilentlyContinue
        $r.Image | Should -Be 'example.com/app/web:1'
        $r.Name | Should -Be 'pinned'
        $r.Eligible | Should -Be 4
        $r.Target | Should -Be 2
        @($r.Skipped | Where-Object Reason -match 'affinity').Node | Should -Be @('d-4', 'd-5')
        Remove-SeedPod $Dsl
    }

    It '-Seed with -WhatIf lists the waves and the DaemonSet change and creates nothing' {
        $out = & (Get-PwshPath) -NoProfile -NonInteractive -Command "Import-Module '$env:CLYDEPS_MODULE'; New-ClydeDaemonSet -Kubeconfig '$DsKube' -Name other -Image 'example.com/app/web:1' -Seed -WhatIf" | Out-String
        $out | Should -Match 'Seed image|Create seed pods'
        $out | Should -Match 'DaemonSet default/other'
        $h = Get-LabHeaders $Dsl
        { Invoke-RestMethod -Uri "$($Dsl.Url)/apis/apps/v1/namespaces/default/daemonsets/other" -Headers $h } | Should -Throw
    }
}

Describe 'Start-ClydeSeed API efficiency' {
    It 'seeds a 200-node Lab with at most 5 API requests per seeded node' {
        $lab = Start-SeedLab @{ seed = 9; network = @{ p2p = $true; nodeBandwidthMBps = 400 }
            images = @(@{ reference = $Image; size = '64Mi'; layerCount = 2; platforms = @('linux/amd64') })
            nodeGroups = @(@{ name = 'n'; count = 200; namePattern = 'n-{0:000}' }) } -TimeScale 20
        try {
            $h = Get-LabHeaders $lab
            $null = Invoke-RestMethod -Method Post -Uri "$($lab.Url)/clydelab/v1/stats/reset" -Headers $h
            $r = Start-ClydeSeed -Kubeconfig $lab.KubeconfigPath -Image $Image -Strategy Doubling
            $stats = Invoke-RestMethod -Uri "$($lab.Url)/clydelab/v1/stats" -Headers $h
            $r.Seeded | Should -Be 100
            $stats.total | Should -BeLessOrEqual (5 * $r.Seeded)
            ($stats.requests | Where-Object { $_.verb -eq 'create' -and $_.resource -eq 'pods' }).count | Should -Be 100
        }
        finally { $lab | Stop-ClydeLab }
    }
}
