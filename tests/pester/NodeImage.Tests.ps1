# Get-ClydeNodeImage (which nodes hold an image's digest, and how we know) and Remove-ClydeLeftover on Labs.
BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')

    # Lab A: three workers, for pulls, seed pods and leftovers.
    $script:Lab = Start-ClydeLab -ClusterFile (New-TestClusterFile -Name 'a.json' -Spec @{
            seed = 5; nodeGroups = @(@{ name = 'w'; count = 3; namePattern = 'w-{0}' }) })
    $script:Kube = $script:Lab.KubeconfigPath
    $script:Headers = @{ Authorization = "Bearer $((Get-Content -Raw (Join-Path $script:Lab.StateDirectory 'token')).Trim())" }

    # Synthetic Lab images: their digests derive from the reference alone, so Lab A tells Lab B's cluster file what to list.
    $script:Cached = Get-ClydeImage -Image 'example.com/app/cached:1' -Kubeconfig $script:Kube
    $repo = 'example.com/app/cached'
    $filler = foreach ($i in 1..50) { @{ names = @("example.com/filler/img-${i}@sha256:$('{0:x64}' -f $i)", "example.com/filler/img-${i}:1"); sizeBytes = 1000000 + $i } }
    $cachedEntry = @{ names = @("$repo@$($script:Cached.Digest)", "$repo`:1"); sizeBytes = 73400320 }
    # Lab B: nodes with the image pre-cached, nodes with full (capped) image lists, and more nodes than Lab A.
    $script:Big = Start-ClydeLab -ClusterFile (New-TestClusterFile -Name 'b.json' -Spec @{
            seed       = 6
            nodeGroups = @(@{ name = 'plain'; count = 12; namePattern = 'plain-{0:00}' })
            nodes      = @(
                @{ name = 'cached-0'; images = @($cachedEntry) },
                @{ name = 'bare-0'; images = @(@{ names = @('registry.k8s.io/pause:3.10'); sizeBytes = 320368 }) },
                # 50 other images: the image may be there but not listed (kubelet caps the list at 50).
                @{ name = 'full-0'; images = @($filler) },
                # 49 others and the image: listed, so held.
                @{ name = 'full-1'; images = @($filler[0..48]) + @($cachedEntry) },
                # The image listed by tag only: tags are never compared.
                @{ name = 'tagged-0'; images = @(@{ names = @("$repo`:1"); sizeBytes = 73400320 }) }
            )
        })
    $script:BigHeaders = @{ Authorization = "Bearer $((Get-Content -Raw (Join-Path $script:Big.StateDirectory 'token')).Trim())" }

    function Invoke-Lab([string] $Method = 'Get', [string] $Path, $Body, $LabObject = $script:Lab, $Auth = $script:Headers) {
        $request = @{ Method = $Method; Uri = "$($LabObject.Url)$Path"; Headers = $Auth }
        if ($null -ne $Body) { $request.ContentType = 'application/json'; $request.Body = ($Body | ConvertTo-Json -Depth 20 -Compress) }
        Invoke-RestMethod @request
    }
    function Test-LabObject([string] $Path) {
        try { $o = Invoke-Lab -Path $Path; return -not $o.metadata.deletionTimestamp }
        catch { if ($_.Exception.Response.StatusCode.value__ -eq 404) { return $false }; throw }
    }
    function Wait-Until([scriptblock] $Condition, [int] $Seconds = 60, [string] $Because = 'the condition') {
        $deadline = [DateTime]::UtcNow.AddSeconds($Seconds)
        while (-not (& $Condition)) {
            if ([DateTime]::UtcNow -gt $deadline) { throw "Timed out waiting for $Because." }
            Start-Sleep -Milliseconds 200
        }
    }
    function New-Namespace([string] $Name) {
        $null = Invoke-Lab -Method Post -Path '/api/v1/namespaces' -Body @{ apiVersion = 'v1'; kind = 'Namespace'; metadata = @{ name = $Name } }
    }
    function Get-HelperLabel([string] $Role, [string] $Run) {
        @{ 'app.kubernetes.io/managed-by' = 'ClydePS'; 'clydeps.io/role' = $Role; 'clydeps.io/run' = $Run }
    }
    function New-PodSpec([string] $Image = 'busybox:1.36', [string] $Node, [string] $Container = 'main', [string] $RestartPolicy = 'Never') {
        $spec = @{ restartPolicy = $RestartPolicy; terminationGracePeriodSeconds = 0
            containers = @(@{ name = $Container; image = $Image; command = @('sleep', '3600') }) }
        if ($Node) { $spec.nodeName = $Node }
        $spec
    }
    function New-LabPod([string] $Namespace, [string] $Name, [hashtable] $Labels = @{}, [hashtable] $Annotations = @{}, [string] $Node,
        [string] $Image = 'busybox:1.36', [string] $Container = 'main') {
        Invoke-Lab -Method Post -Path "/api/v1/namespaces/$Namespace/pods" -Body @{ apiVersion = 'v1'; kind = 'Pod'
            metadata = @{ name = $Name; labels = $Labels; annotations = $Annotations }; spec = (New-PodSpec -Image $Image -Node $Node -Container $Container) }
    }
    function New-LabDaemonSet([string] $Namespace, [string] $Name, [hashtable] $Labels = @{}, [hashtable] $NodeSelector) {
        $podLabels = $Labels.Clone(); $podLabels['app'] = $Name
        $spec = New-PodSpec -RestartPolicy Always
        if ($NodeSelector) { $spec.nodeSelector = $NodeSelector }
        Invoke-Lab -Method Post -Path "/apis/apps/v1/namespaces/$Namespace/daemonsets" -Body @{ apiVersion = 'apps/v1'; kind = 'DaemonSet'
            metadata = @{ name = $Name; labels = $Labels }
            spec = @{ selector = @{ matchLabels = @{ app = $Name } }; template = @{ metadata = @{ labels = $podLabels }; spec = $spec } } }
    }
    function New-LabJob([string] $Namespace, [string] $Name, [hashtable] $Labels) {
        Invoke-Lab -Method Post -Path "/apis/batch/v1/namespaces/$Namespace/jobs" -Body @{ apiVersion = 'batch/v1'; kind = 'Job'
            metadata = @{ name = $Name; labels = $Labels }
            spec = @{ backoffLimit = 0; template = @{ metadata = @{ labels = $Labels }; spec = (New-PodSpec) } } }
    }
    function New-LabConfigMap([string] $Namespace, [string] $Name, [hashtable] $Labels) {
        Invoke-Lab -Method Post -Path "/api/v1/namespaces/$Namespace/configmaps" -Body @{ apiVersion = 'v1'; kind = 'ConfigMap'
            metadata = @{ name = $Name; labels = $Labels }; data = @{ result = 'ok' } }
    }
    # ConvertFrom-Json turns ISO timestamps into DateTime; compare them all in UTC.
    function ConvertTo-Utc($Value) {
        if ($Value -is [datetime]) { return $Value.ToUniversalTime() }
        [DateTimeOffset]::Parse([string]$Value, [Globalization.CultureInfo]::InvariantCulture).UtcDateTime
    }
    function Get-ApiRequestCount($LabObject, $Auth) {
        $stats = Invoke-RestMethod -Uri "$($LabObject.Url)/clydelab/v1/stats" -Headers $Auth
        [int](($stats.requests | Measure-Object count -Sum).Sum)
    }
}

AfterAll {
    if ($script:Big) { $script:Big | Stop-ClydeLab }
    if ($script:Lab) { $script:Lab | Stop-ClydeLab }
}

Describe 'Get-ClydeNodeImage' {
    It 'finds a pre-cached image by digest in the node image list, never by tag' {
        $r = Get-ClydeNodeImage -Kubeconfig $Big.KubeconfigPath -Image 'example.com/app/cached:1'
        $r | Should -HaveCount 17
        $byNode = @{}; $r | ForEach-Object { $byNode[$_.Name] = $_ }
        $byNode['cached-0'].Holds | Should -BeTrue
        $byNode['cached-0'].Evidence | Should -Be 'NodeImageList'
        $byNode['cached-0'].SizeBytes | Should -Be 73400320
        $byNode['cached-0'].SizeMB | Should -Be 70
        $byNode['cached-0'].Digest | Should -Be $Cached.Digest
        $byNode['cached-0'].Image | Should -Be 'example.com/app/cached:1'
        $byNode['cached-0'].SeedPod | Should -BeNullOrEmpty
        $byNode['bare-0'].Holds | Should -BeFalse
        $byNode['bare-0'].Evidence | Should -Be 'NotListed'
        $byNode['bare-0'].SizeBytes | Should -BeNullOrEmpty
        $byNode['tagged-0'].Evidence | Should -Be 'NotListed'
        $byNode['full-1'].Evidence | Should -Be 'NodeImageList'
        $r[0].PSObject.TypeNames[0] | Should -Be 'ClydePS.ClydeNodeImage'
    }

    It 'says Unknown for a node that lists 50 or more images and not this one' {
        $r = Get-ClydeNodeImage -Kubeconfig $Big.KubeconfigPath -Image 'example.com/app/cached:1' -Node 'full-0', 'plain-00'
        @($r.Name) | Should -Be @('full-0', 'plain-00')
        $r[0].Holds | Should -BeFalse
        $r[0].Evidence | Should -Be 'Unknown'
        $r[0].ListedImageCount | Should -Be 50
        $r[1].Evidence | Should -Be 'NotListed'
    }

    It 'takes a ClydeImage and ClydeNode objects from the pipeline' {
        $r = Get-ClydeImage -Image 'example.com/app/cached:1' -Kubeconfig $Big.KubeconfigPath | Get-ClydeNodeImage -Kubeconfig $Big.KubeconfigPath -Node 'cached-0'
        $r.Name | Should -Be 'cached-0'
        $r.Holds | Should -BeTrue
        $nodes = Get-ClydeNodeNetwork -Kubeconfig $Big.KubeconfigPath -Name 'full-*'
        $r = $nodes | Get-ClydeNodeImage -Kubeconfig $Big.KubeconfigPath -Image $Cached
        @($r.Name) | Should -Be @('full-0', 'full-1')
        @($r.Evidence) | Should -Be @('Unknown', 'NodeImageList')
    }

    It 'reports an unknown -Node as ClydeNodeNotFound and still answers for the others' {
        $r = Get-ClydeNodeImage -Kubeconfig $Big.KubeconfigPath -Image $Cached -Node 'nope', 'cached-0' -ErrorVariable errs -ErrorAction SilentlyContinue
        $r.Name | Should -Be 'cached-0'
        $errs | Should -HaveCount 1
        Get-ErrorId $errs[0] | Should -Be 'ClydeNodeNotFound'
        $errs[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $errs[0].TargetObject | Should -Be 'nope'
    }

    It 'rejects an invalid image reference before any request' {
        { Get-ClydeNodeImage -Kubeconfig $Big.KubeconfigPath -Image 'Bad Image!' } | Should -Throw -ErrorId 'ClydeInvalidImageReference*'
    }

    It 'proves a pull with a seed pod''s imageID after a pod with the image ran on the node' {
        $image = 'example.com/app/seeded:2'
        $null = New-LabPod -Namespace default -Name 'user-app' -Node 'w-0' -Image $image
        # kubelet reports the pull in the pod's imageID, then in the node's image list (after a short lag).
        Wait-Until -Because 'w-0 to list the image' {
            (Get-ClydeNodeImage -Kubeconfig $Kube -Image $image -Node 'w-0').Evidence -eq 'NodeImageList'
        }
        $labels = Get-HelperLabel -Role seed -Run 'seedrun1'
        $resolved = Get-ClydeImage -Image $image -Kubeconfig $Kube
        $null = New-LabPod -Namespace default -Name 'clydeps-seed-w0' -Node 'w-0' -Image $image -Container 'seed' -Labels $labels -Annotations @{
            'clydeps.io/node' = 'w-0'; 'clydeps.io/image' = $image; 'clydeps.io/digest' = $resolved.Digest }
        Wait-Until -Because 'the seed pod to report its imageID' {
            $p = Invoke-Lab -Path '/api/v1/namespaces/default/pods/clydeps-seed-w0'
            [bool]@($p.status.containerStatuses | Where-Object { $_.name -eq 'seed' -and $_.imageID })
        }
        $r = Get-ClydeNodeImage -Kubeconfig $Kube -Image $resolved
        @($r.Name) | Should -Be @('w-0', 'w-1', 'w-2')
        $r[0].Holds | Should -BeTrue
        $r[0].Evidence | Should -Be 'SeedPod'
        $r[0].SeedPod | Should -Be 'default/clydeps-seed-w0'
        $r[0].SizeBytes | Should -BeGreaterThan 0
        $r[1].Evidence | Should -Be 'NotListed'
        $r[2].Holds | Should -BeFalse
        # Seed pods are looked for only in -Namespace when it is given.
        (Get-ClydeNodeImage -Kubeconfig $Kube -Image $resolved -Node 'w-0' -Namespace 'kube-system').Evidence | Should -Be 'NodeImageList'
        (Get-ClydeNodeImage -Kubeconfig $Kube -Image $resolved -Node 'w-0' -Namespace 'default').Evidence | Should -Be 'SeedPod'
        # The seed pod proves only its own image.
        (Get-ClydeNodeImage -Kubeconfig $Kube -Image 'example.com/app/other:1' -Node 'w-0').Evidence | Should -Be 'NotListed'
        Invoke-Lab -Method Delete -Path '/api/v1/namespaces/default/pods/clydeps-seed-w0' | Out-Null
        Invoke-Lab -Method Delete -Path '/api/v1/namespaces/default/pods/user-app' | Out-Null
    }

    It 'sends the same two API requests whatever the node count' {
        $null = Invoke-RestMethod -Method Post -Uri "$($Lab.Url)/clydelab/v1/stats/reset" -Headers $Headers
        $small = @(Get-ClydeNodeImage -Kubeconfig $Kube -Image $Cached)
        $smallCount = Get-ApiRequestCount $Lab $Headers
        $null = Invoke-RestMethod -Method Post -Uri "$($Big.Url)/clydelab/v1/stats/reset" -Headers $BigHeaders
        $many = @(Get-ClydeNodeImage -Kubeconfig $Big.KubeconfigPath -Image $Cached)
        $manyCount = Get-ApiRequestCount $Big $BigHeaders
        $small.Count | Should -Be 3
        $many.Count | Should -Be 17
        $smallCount | Should -Be 2
        $manyCount | Should -Be $smallCount
        $stats = Invoke-RestMethod -Uri "$($Big.Url)/clydelab/v1/stats" -Headers $BigHeaders
        @($stats.requests | ForEach-Object { "$($_.verb) $($_.resource) $($_.count)" } | Sort-Object) | Should -Be @('list nodes 1', 'list pods 1')
    }
}

Describe 'Remove-ClydeLeftover' {
    It 'deletes labelled helpers of each kind and never touches anything else' {
        New-Namespace 'lo1'
        $h = Get-HelperLabel -Role probe -Run 'r1'
        $null = New-LabPod -Namespace lo1 -Name 'probe-a' -Node 'w-1' -Labels $h
        $null = New-LabDaemonSet -Namespace lo1 -Name 'prepull-ds' -Labels (Get-HelperLabel -Role prepull -Run 'r1')
        $null = New-LabJob -Namespace lo1 -Name 'agent-job' -Labels (Get-HelperLabel -Role agent -Run 'r1')
        $null = New-LabConfigMap -Namespace lo1 -Name 'agent-cm' -Labels (Get-HelperLabel -Role agent -Run 'r1')
        # Not helpers: a user's DaemonSet (ClydePS-managed but long-lived), unlabelled pods, a role without run, an unknown role.
        $null = New-LabDaemonSet -Namespace lo1 -Name 'user-ds' -Labels @{ 'app.kubernetes.io/managed-by' = 'ClydePS'; 'clydeps.io/mesh' = 'm1' }
        $null = New-LabPod -Namespace lo1 -Name 'plain' -Node 'w-1'
        $null = New-LabPod -Namespace lo1 -Name 'no-run' -Node 'w-1' -Labels @{ 'app.kubernetes.io/managed-by' = 'ClydePS'; 'clydeps.io/role' = 'probe' }
        $null = New-LabPod -Namespace lo1 -Name 'not-ours' -Node 'w-1' -Labels @{ 'clydeps.io/role' = 'probe'; 'clydeps.io/run' = 'r1' }
        $null = New-LabPod -Namespace lo1 -Name 'mesh-peer' -Node 'w-1' -Labels (Get-HelperLabel -Role mesh -Run 'r1')
        $null = New-LabConfigMap -Namespace lo1 -Name 'user-cm' -Labels @{ 'app.kubernetes.io/managed-by' = 'ClydePS' }
        Wait-Until -Because 'the helper DaemonSet and Job pods' {
            @((Invoke-Lab -Path '/api/v1/namespaces/lo1/pods?labelSelector=clydeps.io%2Frun%3Dr1').items | Where-Object { $_.metadata.ownerReferences }).Count -ge 4
        }

        $r = Remove-ClydeLeftover -Kubeconfig $Kube -Namespace lo1
        @($r | ForEach-Object { "$($_.Kind) $($_.Name) $($_.Role) $($_.Run) $($_.Action)" }) | Should -Be @(
            'DaemonSet prepull-ds prepull r1 Deleted', 'Job agent-job agent r1 Deleted', 'Pod probe-a probe r1 Deleted', 'ConfigMap agent-cm agent r1 Deleted')
        $r[0].PSObject.TypeNames[0] | Should -Be 'ClydePS.ClydeLeftover'
        $r[0].Namespace | Should -Be 'lo1'
        $r[2].Node | Should -Be 'w-1'
        $r[2].Age | Should -BeOfType [TimeSpan]

        Test-LabObject '/apis/apps/v1/namespaces/lo1/daemonsets/prepull-ds' | Should -BeFalse
        Test-LabObject '/apis/batch/v1/namespaces/lo1/jobs/agent-job' | Should -BeFalse
        Test-LabObject '/api/v1/namespaces/lo1/configmaps/agent-cm' | Should -BeFalse
        Test-LabObject '/api/v1/namespaces/lo1/pods/probe-a' | Should -BeFalse
        # Background propagation: the DaemonSet's and the Job's pods go too.
        Wait-Until -Because 'the helper workloads'' pods to go' {
            @((Invoke-Lab -Path '/api/v1/namespaces/lo1/pods?labelSelector=clydeps.io%2Frun%3Dr1').items |
                Where-Object { $_.metadata.ownerReferences -and -not $_.metadata.deletionTimestamp }).Count -eq 0
        }
        foreach ($kept in 'apis/apps/v1/namespaces/lo1/daemonsets/user-ds', 'api/v1/namespaces/lo1/pods/plain', 'api/v1/namespaces/lo1/pods/no-run',
            'api/v1/namespaces/lo1/pods/not-ours', 'api/v1/namespaces/lo1/pods/mesh-peer', 'api/v1/namespaces/lo1/configmaps/user-cm') {
            Test-LabObject "/$kept" | Should -BeTrue -Because "$kept is not a ClydePS helper"
        }
        # Nothing is left to find.
        Remove-ClydeLeftover -Kubeconfig $Kube -Namespace lo1 | Should -BeNullOrEmpty
    }

    It '-WhatIf lists what it would delete and deletes nothing' {
        New-Namespace 'lo2'
        $null = New-LabPod -Namespace lo2 -Name 'probe-w' -Node 'w-2' -Labels (Get-HelperLabel -Role probe -Run 'r2')
        $null = New-LabConfigMap -Namespace lo2 -Name 'cm-w' -Labels (Get-HelperLabel -Role agent -Run 'r2')
        $null = Invoke-RestMethod -Method Post -Uri "$($Lab.Url)/clydelab/v1/stats/reset" -Headers $Headers
        $r = Remove-ClydeLeftover -Kubeconfig $Kube -Namespace lo2 -WhatIf
        @($r | ForEach-Object { "$($_.Kind) $($_.Name) $($_.Action)" }) | Should -Be @('Pod probe-w WouldDelete', 'ConfigMap cm-w WouldDelete')
        $stats = Invoke-RestMethod -Uri "$($Lab.Url)/clydelab/v1/stats" -Headers $Headers
        @($stats.requests | Where-Object verb -eq 'delete') | Should -HaveCount 0
        Test-LabObject '/api/v1/namespaces/lo2/pods/probe-w' | Should -BeTrue
        Test-LabObject '/api/v1/namespaces/lo2/configmaps/cm-w' | Should -BeTrue
    }

    It '-Run limits it to one run, in every namespace' {
        New-Namespace 'lo3'
        New-Namespace 'lo4'
        $null = New-LabConfigMap -Namespace lo3 -Name 'cm-a' -Labels (Get-HelperLabel -Role agent -Run 'r3')
        $null = New-LabConfigMap -Namespace lo4 -Name 'cm-b' -Labels (Get-HelperLabel -Role agent -Run 'r3')
        $null = New-LabConfigMap -Namespace lo3 -Name 'cm-c' -Labels (Get-HelperLabel -Role agent -Run 'r4')
        $r = Remove-ClydeLeftover -Kubeconfig $Kube -Run 'r3'
        @($r | ForEach-Object { "$($_.Namespace)/$($_.Name) $($_.Run) $($_.Action)" }) | Should -Be @('lo3/cm-a r3 Deleted', 'lo4/cm-b r3 Deleted')
        Test-LabObject '/api/v1/namespaces/lo3/configmaps/cm-c' | Should -BeTrue
        Test-LabObject '/api/v1/namespaces/lo3/configmaps/cm-a' | Should -BeFalse
    }

    It 'rejects a run id that cannot be a label value before any request' {
        { Remove-ClydeLeftover -Kubeconfig $Kube -Run 'bad run!' } | Should -Throw -ErrorId 'ClydeInvalidRunId*'
    }

    It '-OlderThan leaves younger helpers alone' {
        New-Namespace 'lo5'
        $old = New-LabConfigMap -Namespace lo5 -Name 'old' -Labels (Get-HelperLabel -Role agent -Run 'r5')
        $created = ConvertTo-Utc $old.metadata.creationTimestamp
        Wait-Until -Because 'the first helper to be 8 s old in Lab time' {
            (ConvertTo-Utc (Invoke-Lab -Path '/clydelab/v1/info').labTime) -ge $created.AddSeconds(8)
        }
        $null = New-LabConfigMap -Namespace lo5 -Name 'young' -Labels (Get-HelperLabel -Role agent -Run 'r5')
        $r = Remove-ClydeLeftover -Kubeconfig $Kube -Namespace lo5 -OlderThan '5s'
        @($r.Name) | Should -Be @('old')
        $r.Action | Should -Be 'Deleted'
        $r.Age | Should -BeGreaterOrEqual ([TimeSpan]::FromSeconds(5))
        Test-LabObject '/api/v1/namespaces/lo5/configmaps/young' | Should -BeTrue
        Test-LabObject '/api/v1/namespaces/lo5/configmaps/old' | Should -BeFalse
    }

    It 'keeps a seed pod held for a rollout until the DaemonSet runs on its node, unless -Force or -Run' {
        New-Namespace 'lo6'
        # The workload runs only on w-0, so a seed pod on w-1 is still held for it.
        $null = New-LabDaemonSet -Namespace lo6 -Name 'app' -NodeSelector @{ 'kubernetes.io/hostname' = 'w-0' }
        $seed = Get-HelperLabel -Role seed -Run 'r6'
        $null = New-LabPod -Namespace lo6 -Name 'seed-held' -Node 'w-1' -Labels $seed -Container 'seed' -Annotations @{ 'clydeps.io/workload' = 'lo6/app' }
        $null = New-LabPod -Namespace lo6 -Name 'seed-done' -Node 'w-0' -Labels $seed -Container 'seed' -Annotations @{ 'clydeps.io/workload' = 'lo6/app' }
        $null = New-LabPod -Namespace lo6 -Name 'seed-gone' -Node 'w-2' -Labels $seed -Container 'seed' -Annotations @{ 'clydeps.io/workload' = 'lo6/missing' }
        $null = New-LabPod -Namespace lo6 -Name 'seed-free' -Node 'w-2' -Labels $seed -Container 'seed'
        Wait-Until -Because 'the DaemonSet pod on w-0 to run' {
            @((Invoke-Lab -Path '/api/v1/namespaces/lo6/pods?labelSelector=app%3Dapp').items |
                Where-Object { $_.spec.nodeName -eq 'w-0' -and $_.status.phase -eq 'Running' }).Count -eq 1
        }

        $preview = Remove-ClydeLeftover -Kubeconfig $Kube -Namespace lo6 -WhatIf
        @($preview | ForEach-Object { "$($_.Name) $($_.Action)" }) | Should -Be @('seed-done WouldDelete', 'seed-free WouldDelete', 'seed-gone WouldDelete', 'seed-held Kept')
        ($preview | Where-Object Name -eq 'seed-held').Reason | Should -Match 'lo6/app.*w-1'
        ($preview | Where-Object Name -eq 'seed-held').Workload | Should -Be 'lo6/app'

        $r = Remove-ClydeLeftover -Kubeconfig $Kube -Namespace lo6
        @($r | ForEach-Object { "$($_.Name) $($_.Action)" }) | Should -Be @('seed-done Deleted', 'seed-free Deleted', 'seed-gone Deleted', 'seed-held Kept')
        Test-LabObject '/api/v1/namespaces/lo6/pods/seed-held' | Should -BeTrue
        Test-LabObject '/api/v1/namespaces/lo6/pods/seed-done' | Should -BeFalse
        Test-LabObject '/apis/apps/v1/namespaces/lo6/daemonsets/app' | Should -BeTrue

        (Remove-ClydeLeftover -Kubeconfig $Kube -Namespace lo6 -Force -WhatIf).Action | Should -Be 'WouldDelete'
        $r = Remove-ClydeLeftover -Kubeconfig $Kube -Run 'r6'
        "$($r.Name) $($r.Action)" | Should -Be 'seed-held Deleted'
        Test-LabObject '/api/v1/namespaces/lo6/pods/seed-held' | Should -BeFalse
    }
}
