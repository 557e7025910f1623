# New-ClydeDaemonSet and Wait-ClydeRollout on a Lab, with kubectl (an independent client) side by side.
BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    # Three workers, one node tainted dedicated=x:NoSchedule, one cordoned; an image the registry does not have.
    $spec = @{
        seed       = 5
        images     = @(@{ reference = 'example.com/ghost:1'; missing = $true })
        nodeGroups = @(
            @{ name = 'workers'; count = 3; namePattern = 'worker-{0}' },
            @{ name = 'tainted'; count = 1; namePattern = 'tainted-{0}'; taints = @(@{ key = 'dedicated'; value = 'x'; effect = 'NoSchedule' }) },
            @{ name = 'cordoned'; count = 1; namePattern = 'cordoned-{0}'; unschedulable = 1 }
        )
    }
    $script:Lab = Start-ClydeLab -ClusterFile (New-TestClusterFile -Spec $spec) -TimeScale 10
    $script:Kube = $script:Lab.KubeconfigPath
    $script:Headers = @{ Authorization = "Bearer $((Get-Content -Raw (Join-Path $script:Lab.StateDirectory 'token')).Trim())" }
    $script:KubectlCache = Join-Path $TestDrive 'kubectl-cache'
    $script:Kubectl = (Get-Command kubectl -CommandType Application -ErrorAction Ignore | Select-Object -First 1).Source

    function Get-Lab([string] $Path) {
        Invoke-RestMethod -Uri "$($script:Lab.Url)$Path" -Headers $script:Headers
    }
    function Get-DaemonSet([string] $Name, [string] $Namespace = 'default') {
        Get-Lab "/apis/apps/v1/namespaces/$Namespace/daemonsets/$Name"
    }
    function Test-DaemonSet([string] $Name, [string] $Namespace = 'default') {
        try { $null = Get-DaemonSet $Name $Namespace; $true } catch { $false }
    }
    function Get-RequestCount([string] $Verb, [string] $Resource) {
        $stats = Get-Lab '/clydelab/v1/stats'
        [int](($stats.requests | Where-Object { $_.verb -eq $Verb -and $_.resource -eq $Resource } | Measure-Object count -Sum).Sum)
    }
    # kubectl is part of the test bed: its absence fails these tests instead of skipping them.
    function Invoke-Kubectl {
        if (-not $script:Kubectl) { throw 'kubectl is missing: the rollout tests run it side by side with Wait-ClydeRollout.' }
        $out = & $script:Kubectl --kubeconfig $script:Kube --cache-dir $script:KubectlCache @args 2>&1
        [pscustomobject]@{ Code = $LASTEXITCODE; Output = ($out | Out-String) }
    }
    # kubectl started in the background (it blocks until the rollout completes), for running side by side.
    function Start-Kubectl {
        if (-not $script:Kubectl) { throw 'kubectl is missing: the rollout tests run it side by side with Wait-ClydeRollout.' }
        $psi = [System.Diagnostics.ProcessStartInfo]::new($script:Kubectl)
        foreach ($a in @('--kubeconfig', $script:Kube, '--cache-dir', $script:KubectlCache) + $args) { $psi.ArgumentList.Add([string]$a) }
        $psi.RedirectStandardOutput = $true
        $psi.RedirectStandardError = $true
        $p = [System.Diagnostics.Process]::Start($psi)
        [pscustomobject]@{ Process = $p; Out = $p.StandardOutput.ReadToEndAsync(); Err = $p.StandardError.ReadToEndAsync() }
    }
    function Wait-Kubectl($Started) {
        if (-not $Started.Process.WaitForExit(120000)) { $Started.Process.Kill(); throw 'kubectl did not finish within 120 s' }
        [pscustomobject]@{ Code = $Started.Process.ExitCode; Output = $Started.Out.Result + $Started.Err.Result }
    }
    function New-Manifest([string] $Name, [string] $Yaml) {
        $path = Join-Path $TestDrive $Name
        Set-Content -Path $path -Value $Yaml
        $path
    }
}

AfterAll {
    if ($script:Lab) { $script:Lab | Stop-ClydeLab }
}

Describe 'New-ClydeDaemonSet' {
    It 'creates a DaemonSet, and a second identical run changes nothing (same resourceVersion, no write)' {
        $ds = New-ClydeDaemonSet -Kubeconfig $Kube -Name app -Image busybox:1.36 -Wait -Timeout 60s
        $ds | Should -BeOfType ([ClydePS.ClydeDaemonSet])
        $ds.Outcome | Should -Be 'Created'
        $ds.Kind | Should -Be 'DaemonSet'
        $ds.Namespace | Should -Be 'default'
        $ds.Complete | Should -BeTrue
        $ds.Duration | Should -Not -BeNullOrEmpty
        # The tainted node is left out; the cordoned one runs daemon pods (the DaemonSet controller tolerates unschedulable).
        $ds.Desired | Should -Be 4
        $ds.Available | Should -Be 4
        $ds.Updated | Should -Be 4

        $live = Get-DaemonSet app
        $live.metadata.labels.'app.kubernetes.io/managed-by' | Should -Be 'ClydePS'
        $live.metadata.labels.'clydeps.io/daemonset' | Should -Be 'app'
        $live.spec.selector.matchLabels.app | Should -Be 'app'
        $live.spec.template.spec.containers[0].name | Should -Be 'app'
        $rv = $live.metadata.resourceVersion
        $writes = (Get-RequestCount update daemonsets) + (Get-RequestCount create daemonsets) + (Get-RequestCount patch daemonsets)

        $again = New-ClydeDaemonSet -Kubeconfig $Kube -Name app -Image busybox:1.36
        $again.Outcome | Should -Be 'Unchanged'
        (Get-DaemonSet app).metadata.resourceVersion | Should -Be $rv
        (Get-RequestCount update daemonsets) + (Get-RequestCount create daemonsets) + (Get-RequestCount patch daemonsets) | Should -Be $writes
        $kc = Invoke-Kubectl get daemonset app -o 'jsonpath={.metadata.resourceVersion}'
        $kc.Code | Should -Be 0 -Because $kc.Output
        $kc.Output.Trim() | Should -Be $rv
    }

    It 'updates to a new image and rolls it out to every node' {
        $ds = New-ClydeDaemonSet -Kubeconfig $Kube -Name app -Image busybox:1.37 -Wait -Timeout 60s -Verbose 4>&1 |
            Where-Object { $_ -is [ClydePS.ClydeDaemonSet] -or ($_ -is [System.Management.Automation.VerboseRecord] -and $_.Message -like 'Performing the operation*') }
        $verbose = @($ds | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] })
        $verbose[0].Message | Should -Match '"Update" on target "DaemonSet default/app \(image busybox:1.37\)"'
        $result = $ds | Where-Object { $_ -is [ClydePS.ClydeDaemonSet] }
        $result.Outcome | Should -Be 'Updated'
        $result.Image | Should -Be 'busybox:1.37'
        $result.Complete | Should -BeTrue
        $result.Updated | Should -Be 4
        $pods = (Get-Lab '/api/v1/namespaces/default/pods?labelSelector=app%3Dapp').items | Where-Object { -not $_.metadata.deletionTimestamp }
        @($pods).Count | Should -Be 4
        @($pods | Where-Object { $_.spec.containers[0].image -ne 'busybox:1.37' }) | Should -HaveCount 0
        $kc = Invoke-Kubectl rollout status daemonset/app --timeout=30s
        $kc.Code | Should -Be 0 -Because $kc.Output
        $kc.Output | Should -Match 'daemon set "app" successfully rolled out'
    }

    It 'tolerates the tainted node with -Toleration, and parses -NodeSelector and -Toleration forms' {
        $ds = New-ClydeDaemonSet -Kubeconfig $Kube -Name everywhere -Image busybox:1.36 -Toleration 'dedicated=x:NoSchedule' -Wait -Timeout 60s
        $ds.Desired | Should -Be 5
        $ds.Available | Should -Be 5
        $ds.Complete | Should -BeTrue

        $fromJson = '{"key":"f","operator":"Equal","value":"g","effect":"NoSchedule"}' | ConvertFrom-Json
        $null = New-ClydeDaemonSet -Kubeconfig $Kube -Name parsed -Image busybox:1.36 -NodeSelector @{ pool = 'none' }, 'zone=a,tier=b' `
            -Toleration 'a=b:NoSchedule', 'c:noexecute', 'd', @{ Key = 'e'; Operator = 'Exists'; Effect = 'NoSchedule' }, $fromJson, 'a=b:NoSchedule' `
            -ImagePullSecret regcred -MaxUnavailable 25%
        $live = Get-DaemonSet parsed
        $live.spec.template.spec.nodeSelector.pool | Should -Be 'none'
        $live.spec.template.spec.nodeSelector.zone | Should -Be 'a'
        $live.spec.template.spec.nodeSelector.tier | Should -Be 'b'
        $t = @($live.spec.template.spec.tolerations | ForEach-Object { "$($_.key)|$($_.operator)|$($_.value)|$($_.effect)" })
        $t | Should -Be @('a|Equal|b|NoSchedule', 'c|Exists||NoExecute', 'd|Exists||', 'e|Exists||NoSchedule', 'f|Equal|g|NoSchedule')
        $live.spec.template.spec.imagePullSecrets[0].name | Should -Be 'regcred'
        $live.spec.updateStrategy.rollingUpdate.maxUnavailable | Should -Be '25%'
        # No node has pool=none: nothing to roll out, so the wait completes at once.
        (Wait-ClydeRollout -Kubeconfig $Kube -Name parsed -Timeout 30s).Desired | Should -Be 0
    }

    It 'applies a DaemonSet file with the parameters over it, and its output pipes into Wait-ClydeRollout' {
        $path = New-Manifest 'agent.yaml' @'
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
  labels: {team: infra}
spec:
  selector: {matchLabels: {name: agent}}
  template:
    metadata: {labels: {name: agent}}
    spec:
      containers:
      - {name: sidecar, image: "busybox:1.36", command: [sleep, "3600"]}
      - {name: main, image: "busybox:1.36", command: [sleep, "3600"]}
'@
        $ds = New-ClydeDaemonSet -Kubeconfig $Kube -Path $path -Image busybox:1.37 -Container main -MaxUnavailable 2
        $ds.Outcome | Should -Be 'Created'
        $status = $ds | Wait-ClydeRollout -Kubeconfig $Kube -Timeout 60s
        $status | Should -BeOfType ([ClydePS.ClydeRolloutStatus])
        $status.Kind | Should -Be 'DaemonSet'
        $status.Complete | Should -BeTrue
        $status.Message | Should -Be 'daemon set "agent" successfully rolled out'
        $live = Get-DaemonSet agent
        $live.metadata.labels.team | Should -Be 'infra'
        $live.metadata.labels.'app.kubernetes.io/managed-by' | Should -Be 'ClydePS'
        $live.spec.template.spec.containers[0].image | Should -Be 'busybox:1.36'
        $live.spec.template.spec.containers[1].image | Should -Be 'busybox:1.37'
        (New-ClydeDaemonSet -Kubeconfig $Kube -Path $path -Image busybox:1.37 -Container main -MaxUnavailable 2).Outcome | Should -Be 'Unchanged'
    }

    It 'binds Image and Namespace by property name (as a seed result pipes in)' {
        $null = Invoke-RestMethod -Method Post -Uri "$($Lab.Url)/api/v1/namespaces" -Headers $Headers -ContentType 'application/json' `
            -Body (@{ apiVersion = 'v1'; kind = 'Namespace'; metadata = @{ name = 'piped' } } | ConvertTo-Json -Compress)
        $ds = [pscustomobject]@{ Image = 'busybox:1.36'; Namespace = 'piped' } | New-ClydeDaemonSet -Kubeconfig $Kube -Name viapipe
        $ds.Namespace | Should -Be 'piped'
        $ds.Image | Should -Be 'busybox:1.36'
        (Get-DaemonSet viapipe piped).spec.template.spec.containers[0].image | Should -Be 'busybox:1.36'
    }

    It 'says when it updates a DaemonSet that ClydePS did not create' {
        $path = New-Manifest 'theirs.yaml' @'
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: theirs}
spec:
  selector: {matchLabels: {app: theirs}}
  template:
    metadata: {labels: {app: theirs}}
    spec:
      containers: [{name: theirs, image: "busybox:1.36"}]
'@
        $kc = Invoke-Kubectl apply -f $path
        $kc.Code | Should -Be 0 -Because $kc.Output
        $ds = New-ClydeDaemonSet -Kubeconfig $Kube -Name theirs -Image busybox:1.37 -WarningVariable warnings -WarningAction SilentlyContinue
        $ds.Outcome | Should -Be 'Updated'
        $ds.ManagedByClydePS | Should -BeFalse
        $warnings[0].Message | Should -Match 'managed-by'
        (Get-DaemonSet theirs).spec.template.spec.containers[0].image | Should -Be 'busybox:1.37'
    }

    It '-WhatIf creates nothing, for a new DaemonSet and for an update' {
        $creates = Get-RequestCount create daemonsets
        $updates = Get-RequestCount update daemonsets
        New-ClydeDaemonSet -Kubeconfig $Kube -Name whatif -Image busybox:1.36 -WhatIf | Should -BeNullOrEmpty
        New-ClydeDaemonSet -Kubeconfig $Kube -Name app -Image busybox:1.38 -WhatIf | Should -BeNullOrEmpty
        Test-DaemonSet whatif | Should -BeFalse
        (Get-DaemonSet app).spec.template.spec.containers[0].image | Should -Be 'busybox:1.37'
        Get-RequestCount create daemonsets | Should -Be $creates
        Get-RequestCount update daemonsets | Should -Be $updates
    }

    It 'rejects bad input before anything is created: <Case>' -ForEach @(
        @{ Case = 'invalid image'; Params = @{ Name = 'bad'; Image = 'Not A Ref!' }; Id = 'ClydeInvalidImageReference' }
        @{ Case = 'negative max unavailable'; Params = @{ Name = 'bad'; Image = 'busybox:1.36'; MaxUnavailable = '-1' }; Id = 'ClydeInvalidMaxUnavailable' }
        @{ Case = 'max unavailable over 100%'; Params = @{ Name = 'bad'; Image = 'busybox:1.36'; MaxUnavailable = '150%' }; Id = 'ClydeInvalidMaxUnavailable' }
        @{ Case = 'bad toleration effect'; Params = @{ Name = 'bad'; Image = 'busybox:1.36'; Toleration = 'a=b:Sometimes' }; Id = 'ClydeInvalidToleration' }
        @{ Case = 'bad node selector'; Params = @{ Name = 'bad'; Image = 'busybox:1.36'; NodeSelector = 'novalue' }; Id = 'ClydeInvalidNodeSelector' }
        @{ Case = 'bad name'; Params = @{ Name = 'Bad_Name'; Image = 'busybox:1.36' }; Id = 'ClydeInvalidName' }
        @{ Case = 'missing file'; Params = @{ Path = 'no-such-file.yaml' }; Id = 'ClydeManifestNotFound' }
        @{ Case = 'file without a DaemonSet'; Params = @{ Path = 'configmap' }; Id = 'ClydeManifestInvalid' }
        @{ Case = 'seed stop ratio 1.5'; Params = @{ Name = 'bad'; Image = 'busybox:1.36'; Seed = $true; SeedStopRatio = 1.5 }; Id = 'ClydeInvalidStopRatio' }
        @{ Case = 'seed stop ratio 0'; Params = @{ Name = 'bad'; Image = 'busybox:1.36'; Seed = $true; SeedStrategy = 'Adaptive'; SeedStopRatio = 0 }; Id = 'ClydeInvalidStopRatio' }
        @{ Case = '-SeedStrategy without -Seed'; Params = @{ Name = 'bad'; Image = 'busybox:1.36'; SeedStrategy = 'Adaptive' }; Id = 'ClydeSeedParameterWithoutSeed' }
        @{ Case = '-SeedStopRatio without -Seed'; Params = @{ Name = 'bad'; Image = 'busybox:1.36'; SeedStopRatio = 0.5 }; Id = 'ClydeSeedParameterWithoutSeed' }
        @{ Case = '-SeedRegistryBandwidthMBps without -Seed'; Params = @{ Name = 'bad'; Image = 'busybox:1.36'; SeedRegistryBandwidthMBps = 200; SeedNodeBandwidthMBps = 100 }; Id = 'ClydeSeedParameterWithoutSeed' }
        @{ Case = 'seed registry bandwidth alone'; Params = @{ Name = 'bad'; Image = 'busybox:1.36'; Seed = $true; SeedRegistryBandwidthMBps = 200 }; Id = 'ClydeBandwidthIncomplete' }
        @{ Case = 'seed node bandwidth 0'; Params = @{ Name = 'bad'; Image = 'busybox:1.36'; Seed = $true; SeedRegistryBandwidthMBps = 200; SeedNodeBandwidthMBps = 0 }; Id = 'ClydeInvalidBandwidth' }
        @{ Case = 'a seed probe result that is not one'; Params = @{ Name = 'bad'; Image = 'busybox:1.36'; Seed = $true; SeedProbeResult = 'fast'; SeedNodeBandwidthMBps = 100 }; Id = 'ClydeInvalidProbeResult' }
        @{ Case = '-SeedProbeResult without -Seed'; Params = @{ Name = 'bad'; Image = 'busybox:1.36'; SeedProbeResult = 'fast' }; Id = 'ClydeSeedParameterWithoutSeed' }
    ) {
        if ($Params.Path -eq 'configmap') {
            $Params.Path = New-Manifest 'cm.yaml' "apiVersion: v1`nkind: ConfigMap`nmetadata: {name: x}`n"
        }
        $before = (Get-Lab '/clydelab/v1/stats').requests | Where-Object { $_.verb -in 'create', 'update' } | Measure-Object count -Sum
        $err = { New-ClydeDaemonSet -Kubeconfig $Kube @Params } | Should -Throw -PassThru
        Get-ErrorId $err | Should -Be $Id
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $after = (Get-Lab '/clydelab/v1/stats').requests | Where-Object { $_.verb -in 'create', 'update' } | Measure-Object count -Sum
        $after.Sum | Should -Be $before.Sum
        Test-DaemonSet bad | Should -BeFalse
        @((Get-Lab '/api/v1/pods?labelSelector=clydeps.io%2Frole%3Dseed').items) | Should -HaveCount 0
    }

    It 'times out naming the nodes and pods behind with their reasons' {
        $err = { New-ClydeDaemonSet -Kubeconfig $Kube -Name ghost -Image example.com/ghost:1 -Wait -Timeout 40s } | Should -Throw -PassThru
        Get-ErrorId $err | Should -Be 'ClydeRolloutTimeout'
        $err.CategoryInfo.Category | Should -Be 'OperationTimeout'
        $err.Exception.Message | Should -Match 'worker-\d/ghost-[a-z0-9]+: (ImagePullBackOff|ErrImagePull)'
        $err.Exception.Message | Should -Match 'example.com/ghost:1'
        $status = $err.TargetObject
        $status | Should -BeOfType ([ClydePS.ClydeRolloutStatus])
        $status.Complete | Should -BeFalse
        @($status.Behind).Count | Should -Be 4
        @($status.Behind | Where-Object { $_ -match '^(worker-\d|cordoned-0)/ghost-' }).Count | Should -Be 4

        $err = { Wait-ClydeRollout -Kubeconfig $Kube -Name ghost -Timeout 5s } | Should -Throw -PassThru
        Get-ErrorId $err | Should -Be 'ClydeRolloutTimeout'
    }

    It '-AsManifest writes the YAML it would apply and contacts no cluster' {
        $creates = Get-RequestCount create daemonsets
        $yaml = New-ClydeDaemonSet -Name manifest -Image busybox:1.36 -Namespace tools -Toleration 'dedicated=x:NoSchedule' -MaxUnavailable 1 `
            -Kubeconfig (Join-Path $TestDrive 'no-such-kubeconfig') -AsManifest
        $yaml | Should -BeOfType ([string])
        $yaml | Should -Match 'kind: DaemonSet'
        $yaml | Should -Match 'namespace: tools'
        $yaml | Should -Match 'app.kubernetes.io/managed-by: ClydePS'
        $yaml | Should -Match 'image: busybox:1.36'
        $yaml | Should -Match 'maxUnavailable: 1'
        Get-RequestCount create daemonsets | Should -Be $creates
        # The YAML is a manifest -Path accepts.
        $path = New-Manifest 'manifest.yaml' $yaml
        (New-ClydeDaemonSet -Kubeconfig $Kube -Path $path -Namespace default -WhatIf) | Should -BeNullOrEmpty
        $err = { New-ClydeDaemonSet -Name manifest -Image busybox:1.36 -AsManifest -Wait } | Should -Throw -PassThru
        Get-ErrorId $err | Should -Be 'ClydeConflictingParameters'
    }

    It 'completes DaemonSet names with Tab' {
        $line = "New-ClydeDaemonSet -Kubeconfig '$Kube' -Name ev"
        $names = (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText
        $names | Should -Be @('everywhere')
        $line = "Wait-ClydeRollout -Kubeconfig '$Kube' -Namespace piped -Name "
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be @('viapipe')
    }
}

Describe 'New-ClydeDaemonSet -Seed' {
    BeforeAll {
        # Six private workers behind one NAT with a P2P mirror, and one image per test so no node holds it beforehand.
        $seedSpec = @{
            seed       = 8
            network    = @{ p2p = $true; natBandwidthMBps = 200; nodeBandwidthMBps = 100 }
            images     = @(
                @{ reference = 'example.com/app/pipe:1'; size = '256Mi'; layerCount = 2; platforms = @('linux/amd64') },
                @{ reference = 'example.com/app/adapt:1'; size = '256Mi'; layerCount = 2; platforms = @('linux/amd64') }
            )
            nodeGroups = @(@{ name = 'd'; count = 6; namePattern = 'd-{0}' })
        }
        $script:SeedLab = Start-ClydeLab -ClusterFile (New-TestClusterFile -Spec $seedSpec -Name 'seed-cluster.json') -TimeScale 20
        $script:SeedKube = $script:SeedLab.KubeconfigPath
        $script:SeedHeaders = @{ Authorization = "Bearer $((Get-Content -Raw (Join-Path $script:SeedLab.StateDirectory 'token')).Trim())" }
        function Get-SeedLab([string] $Path) { Invoke-RestMethod -Uri "$($script:SeedLab.Url)$Path" -Headers $script:SeedHeaders }
        # Seeding needs the mirror pods Ready on every node, as on a running cluster.
        Wait-LabMirrorReady $script:SeedLab

        # How each node's pod of the DaemonSet got its image, from the kubelet's events: 'present' when the node held it
        # already (it was seeded), 'pulled' when the pod had to pull it.
        function Get-WorkloadImageSource([string] $Name) {
            $pods = @((Get-SeedLab "/api/v1/namespaces/default/pods?labelSelector=app%3D$Name").items)
            $events = @((Get-SeedLab '/api/v1/namespaces/default/events').items)
            foreach ($pod in $pods) {
                $mine = @($events | Where-Object { $_.involvedObject.name -eq $pod.metadata.name })
                [pscustomobject]@{
                    Node   = $pod.spec.nodeName
                    Source = if ($mine | Where-Object { $_.reason -eq 'Pulling' }) { 'pulled' }
                             elseif ($mine | Where-Object { $_.reason -eq 'Pulled' -and $_.message -match 'already present' }) { 'present' }
                             else { 'unknown' }
                }
            }
        }
    }
    AfterAll { if ($script:SeedLab) { $script:SeedLab | Stop-ClydeLab } }

    It 'seeds every eligible node with the Pipelined policy by default, then rolls out' {
        $verbose = New-ClydeDaemonSet -Kubeconfig $SeedKube -Name pipe -Image 'example.com/app/pipe:1' -Seed -Wait -Timeout 10m -Verbose -ErrorAction Stop 4>&1 3>$null
        $ds = @($verbose | Where-Object { $_ -is [ClydePS.ClydeDaemonSet] })
        $text = ($verbose | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | ForEach-Object Message) -join "`n"
        $ds | Should -HaveCount 1
        $ds[0].Available | Should -Be 6
        $text | Should -Match '6 eligible node\(s\), target 6, 0 already seeded, .*strategy Pipelined'
        $text | Should -Not -Match 'strategy Adaptive'
        # Every node held the image before its workload pod started: none of them pulled it.
        $sources = @(Get-WorkloadImageSource pipe)
        $sources | Should -HaveCount 6
        @($sources | Where-Object Source -eq 'present') | Should -HaveCount 6
        @((Get-SeedLab '/api/v1/pods?labelSelector=clydeps.io%2Frole%3Dseed').items | Where-Object { -not $_.metadata.deletionTimestamp }) | Should -HaveCount 0
    }

    It 'given the seed bandwidths, Pipelined seeds on a start schedule planned in the transfer model, then rolls out' {
        # Its own Lab: a registry slower than the nodes (NAT 50 MB/s, nodes 200 MB/s) and 16 equal layers, so followers can
        # start long before the first copy completes, and a slower clock (time scale 5) so planned starts are seconds apart.
        $spec = @{
            seed       = 9
            network    = @{ p2p = $true; natBandwidthMBps = 50; nodeBandwidthMBps = 200 }
            images     = @(@{ reference = 'example.com/app/plan:1'; platforms = @('linux/amd64'); layers = @(1..16 | ForEach-Object { @{ size = '128Mi' } }) })
            nodeGroups = @(@{ name = 'p'; count = 6; namePattern = 'p-{0}' })
        }
        $lab = Start-ClydeLab -ClusterFile (New-TestClusterFile -Spec $spec -Name 'plan-cluster.json') -TimeScale 5
        try {
            $h = @{ Authorization = "Bearer $((Get-Content -Raw (Join-Path $lab.StateDirectory 'token')).Trim())" }
            Wait-LabMirrorReady $lab
            # a probe result stands for the registry bandwidth (-WhatIf: nothing is created)
            $probe = [ClydePS.ClydeProbeResult]@{ Image = 'example.com/app/plan:1'; Mode = 'Local'; BandwidthMBps = 50; Samples = 5 }
            $preview = New-ClydeDaemonSet -Kubeconfig $lab.KubeconfigPath -Name plan -Image 'example.com/app/plan:1' -Seed -SeedProbeResult $probe -SeedNodeBandwidthMBps 200 -WhatIf -Verbose 4>&1 3>$null
            ($preview | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | ForEach-Object Message) -join "`n" |
                Should -Match 'Registry bandwidth from the probe of example\.com/app/plan:1: 50 MB/s x 1 concurrent prober\(s\) = 50 MB/s'
            @((Invoke-RestMethod -Uri "$($lab.Url)/apis/apps/v1/namespaces/default/daemonsets" -Headers $h).items) | Should -HaveCount 0
            @((Invoke-RestMethod -Uri "$($lab.Url)/api/v1/pods?labelSelector=clydeps.io%2Frole%3Dseed" -Headers $h).items) | Should -HaveCount 0
            $verbose = New-ClydeDaemonSet -Kubeconfig $lab.KubeconfigPath -Name plan -Image 'example.com/app/plan:1' -Seed -SeedRegistryBandwidthMBps 50 -SeedNodeBandwidthMBps 200 -Wait -Timeout 10m -Verbose -ErrorAction Stop 4>&1 3>$null
            $ds = @($verbose | Where-Object { $_ -is [ClydePS.ClydeDaemonSet] })
            $text = ($verbose | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | ForEach-Object Message) -join "`n"
            $ds | Should -HaveCount 1
            $ds[0].Available | Should -Be 6
            # one node pulls from the registry, the other five start on the plan while the first copy still comes in
            $text | Should -Match '1 node\(s\) keep the registry busy'
            $text | Should -Match '5 follower start\(s\) planned in the transfer model'
            $text | Should -Match 'planned starts? 1(-\d+)? of 5'
            $seeds = @((Invoke-RestMethod -Uri "$($lab.Url)/api/v1/namespaces/default/events" -Headers $h).items | Where-Object { $_.reason -eq 'Pulled' -and $_.involvedObject.name -like 'clydeps-seed-*' })
            $seeds.Count | Should -BeGreaterOrEqual 6
        }
        finally { $lab | Stop-ClydeLab }
    }

    It '-SeedStrategy Adaptive -SeedStopRatio 0.5 seeds half of the nodes, and the rest pull when the DaemonSet rolls out' {
        $verbose = New-ClydeDaemonSet -Kubeconfig $SeedKube -Name adapt -Image 'example.com/app/adapt:1' -Seed -SeedStrategy Adaptive -SeedStopRatio 0.5 -Wait -Timeout 10m -Verbose -ErrorAction Stop 4>&1 3>$null
        $ds = @($verbose | Where-Object { $_ -is [ClydePS.ClydeDaemonSet] })
        $text = ($verbose | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | ForEach-Object Message) -join "`n"
        $ds | Should -HaveCount 1
        $ds[0].Available | Should -Be 6
        $text | Should -Match '6 eligible node\(s\), target 3, 0 already seeded, .*strategy Adaptive'
        $sources = @(Get-WorkloadImageSource adapt)
        $sources | Should -HaveCount 6
        @($sources | Where-Object Source -eq 'present') | Should -HaveCount 3
        @($sources | Where-Object Source -eq 'pulled') | Should -HaveCount 3
    }
}

Describe 'Wait-ClydeRollout' {
    It 'completes with kubectl rollout status for a DaemonSet' {
        $null = New-ClydeDaemonSet -Kubeconfig $Kube -Name sidebyside -Image busybox:1.36
        $kubectl = Start-Kubectl rollout status daemonset/sidebyside --timeout=100s
        $status = Wait-ClydeRollout -Kubeconfig $Kube -Name sidebyside -Timeout 100s
        $kc = Wait-Kubectl $kubectl
        $kc.Code | Should -Be 0 -Because $kc.Output
        $kc.Output | Should -Match 'daemon set "sidebyside" successfully rolled out'
        $status.Complete | Should -BeTrue
        $status.Message | Should -Be 'daemon set "sidebyside" successfully rolled out'
        $status.Available | Should -Be 4
    }

    It 'completes with kubectl rollout status for a StatefulSet' {
        $path = New-Manifest 'web.yaml' @'
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: web}
spec:
  replicas: 3
  serviceName: web
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: c, image: "nginx:1.27"}]
'@
        $kc = Invoke-Kubectl apply -f $path
        $kc.Code | Should -Be 0 -Because $kc.Output
        $kubectl = Start-Kubectl rollout status statefulset/web --timeout=100s
        $status = Wait-ClydeRollout -Kubeconfig $Kube -Kind StatefulSet -Name web -Timeout 100s
        $kc = Wait-Kubectl $kubectl
        $kc.Code | Should -Be 0 -Because $kc.Output
        $kc.Output | Should -Match 'partitioned roll out complete: 3 new pods have been updated'
        $status.Complete | Should -BeTrue
        $status.Kind | Should -Be 'StatefulSet'
        $status.Ready | Should -Be 3
        $status.Message | Should -Be 'partitioned roll out complete: 3 new pods have been updated...'
    }

    It 'completes with kubectl wait --for=condition=complete for a Job, and a failed Job is an error naming the reason' {
        $path = New-Manifest 'jobs.yaml' @'
apiVersion: batch/v1
kind: Job
metadata: {name: hello}
spec:
  completions: 2
  template:
    spec:
      restartPolicy: Never
      containers: [{name: c, image: "busybox:1.36", command: [sh, -c, "sleep 5"]}]
---
apiVersion: batch/v1
kind: Job
metadata: {name: broken}
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      containers: [{name: c, image: "busybox:1.36", command: [sh, -c, "exit 1"]}]
'@
        $kc = Invoke-Kubectl apply -f $path
        $kc.Code | Should -Be 0 -Because $kc.Output
        $kubectl = Start-Kubectl wait --for=condition=complete job/hello --timeout=100s
        $status = Wait-ClydeRollout -Kubeconfig $Kube -Kind Job -Name hello -Timeout 100s
        $kc = Wait-Kubectl $kubectl
        $kc.Code | Should -Be 0 -Because $kc.Output
        $kc.Output | Should -Match 'job.batch/hello condition met'
        $status.Complete | Should -BeTrue
        $status.Desired | Should -Be 2
        $status.Updated | Should -Be 2

        $err = { Wait-ClydeRollout -Kubeconfig $Kube -Kind Job -Name broken -Timeout 100s } | Should -Throw -PassThru
        Get-ErrorId $err | Should -Be 'ClydeJobFailed'
        $err.Exception.Message | Should -Match 'BackoffLimitExceeded'
    }

    It 'stops within moments on Ctrl+C' {
        $ps = [powershell]::Create()
        try {
            # The wait lists the DaemonSet (by a field selector on its name) before it watches: wait for that list.
            $null = New-ClydeDaemonSet -Kubeconfig $Kube -Name stuck -Image example.com/ghost:1
            $lists = Get-RequestCount list daemonsets
            $null = $ps.AddScript("Import-Module '$env:CLYDEPS_MODULE'; Wait-ClydeRollout -Kubeconfig '$Kube' -Name stuck -Timeout 1h")
            $async = $ps.BeginInvoke()
            $deadline = [DateTime]::UtcNow.AddSeconds(60)
            while ((Get-RequestCount list daemonsets) -eq $lists -and [DateTime]::UtcNow -lt $deadline) {
                Start-Sleep -Milliseconds 100
            }
            Get-RequestCount list daemonsets | Should -BeGreaterThan $lists
            $async.IsCompleted | Should -BeFalse
            $stop = $ps.BeginStop($null, $null)
            $stop.AsyncWaitHandle.WaitOne(15000) | Should -BeTrue -Because 'Ctrl+C must end the wait at once, not at its 1 h timeout'
            $ps.EndStop($stop)
            $async.IsCompleted | Should -BeTrue
            $ps.InvocationStateInfo.State | Should -Be 'Stopped'
        }
        finally { $ps.Dispose() }
    }

    It 'reports a workload that does not exist as ClydeWorkloadNotFound' {
        $err = { Wait-ClydeRollout -Kubeconfig $Kube -Kind StatefulSet -Name nope } | Should -Throw -PassThru
        Get-ErrorId $err | Should -Be 'ClydeWorkloadNotFound'
        $err.CategoryInfo.Category | Should -Be 'ObjectNotFound'
    }
}

Describe 'The -NodeSelector and -Toleration parsers' {
    It 'reads hashtables and key=value strings into one node selector, later entries winning' {
        $r = [ClydePS.Infrastructure.NodeSelectorParser]::Parse(@(@{ pool = 'gpu'; zone = 'a' }, 'zone=b, tier=web', 'example.com/team=x'))
        $r['pool'] | Should -Be 'gpu'
        $r['zone'] | Should -Be 'b'
        $r['tier'] | Should -Be 'web'
        $r['example.com/team'] | Should -Be 'x'
        $r.Count | Should -Be 4
        [ClydePS.Infrastructure.NodeSelectorParser]::Parse($null) | Should -BeNullOrEmpty
    }

    It 'rejects a node selector entry <Entry>' -ForEach @(
        @{ Entry = 'novalue' }, @{ Entry = '=x' }, @{ Entry = 'bad key=x' }, @{ Entry = 'k=bad value' }
    ) {
        $err = { [ClydePS.Infrastructure.NodeSelectorParser]::Parse(@($Entry)) } | Should -Throw -PassThru
        $err.Exception.InnerException.ErrorId | Should -Be 'ClydeInvalidNodeSelector'
    }

    It 'reads every toleration form and drops duplicates' {
        $json = '{"key":"f","operator":"Equal","value":"g","effect":"NoSchedule","tolerationSeconds":null}' | ConvertFrom-Json
        $r = [ClydePS.Infrastructure.TolerationParser]::Parse(@('a=b:NoSchedule', 'c:noexecute', 'd', '*', @{ key = 'e'; operator = 'exists' }, $json, 'a=b:NoSchedule'))
        @($r | ForEach-Object { $_.ToString() }) | Should -Be @('a=b:NoSchedule', 'c:NoExecute', 'd', '*', 'e', 'f=g:NoSchedule')
        $r[1].Operator | Should -Be 'Exists'
        $r[3].Key | Should -BeNullOrEmpty
    }

    It 'rejects a toleration <Case>' -ForEach @(
        @{ Case = 'with an unknown effect'; Value = 'a=b:Sometimes' }
        @{ Case = 'with an unknown operator'; Value = @{ Key = 'a'; Operator = 'Near' } }
        @{ Case = 'with Exists and a value'; Value = @{ Key = 'a'; Operator = 'Exists'; Value = 'b' } }
        @{ Case = 'without a key and with Equal'; Value = @{ Operator = 'Equal'; Value = 'b' } }
        @{ Case = 'with tolerationSeconds'; Value = @{ Key = 'a'; Effect = 'NoExecute'; TolerationSeconds = 30 } }
        @{ Case = 'with a bad key'; Value = 'bad key:NoSchedule' }
    ) {
        $err = { [ClydePS.Infrastructure.TolerationParser]::Parse(@(, $Value)) } | Should -Throw -PassThru
        $err.Exception.InnerException.ErrorId | Should -Be 'ClydeInvalidToleration'
    }
}
