# Start-ClydePrePull and Watch-ClydeSeeder end to end on Labs: pre-pull pods simulated by the Lab's seed role (role prepull),
# pulls over the Lab's transfer model, node.status.images written by the simulated kubelets, seeders labelled on the Lab's nodes.
BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')

    $script:Small = 'example.com/tools/agent:v1'
    $script:Bare = 'example.com/tools/distroless-agent:v1'
    $script:Other = 'example.com/tools/sidecar:v1'
    $script:Big = 'example.com/llm/huge:v1'
    $script:Flaky = 'example.com/tools/flaky:v1'

    # Nine workers over three zones (w-0 a control-plane node), a tainted GPU node, and images small enough to pull in moments.
    $script:Spec = @{
        seed       = 7
        network    = @{ registryBandwidthMBps = 400; natBandwidthMBps = 200; nodeBandwidthMBps = 100 }
        images     = @(
            @{ reference = $script:Small; size = '64Mi'; layerCount = 2; platforms = @('linux/amd64') }
            @{ reference = $script:Bare; size = '32Mi'; layerCount = 2; platforms = @('linux/amd64'); hasShell = $false }
            @{ reference = $script:Other; size = '48Mi'; layerCount = 2; platforms = @('linux/amd64') }
            @{ reference = $script:Big; size = '20Gi'; layerCount = 4; platforms = @('linux/amd64') }
            @{ reference = $script:Flaky; size = '40Mi'; layerCount = 2; platforms = @('linux/amd64') }
        )
        nodeGroups = @(
            @{ name = 'w'; count = 10; namePattern = 'w-{0}'; zones = @('z-a', 'z-b', 'z-c'); controlPlane = 1 }
            @{ name = 'gpu'; count = 1; namePattern = 'gpu-{0}'; zones = @('z-a'); taints = @(@{ key = 'dedicated'; value = 'gpu'; effect = 'NoSchedule' }); labels = @{ 'p2p-seeder' = 'true' } }
        )
        nodes      = @(@{ name = 'down-1'; ready = $false; zone = 'z-a'; labels = @{ 'p2p-seeder' = 'true' } })
    }

    function Start-PrePullLab([hashtable] $Spec = $script:Spec, [double] $TimeScale = 20) {
        Start-ClydeLab -ClusterFile (New-TestClusterFile -Spec $Spec -Name "cluster-$([guid]::NewGuid().ToString('N')).json") -TimeScale $TimeScale
    }
    function Get-LabHeaders($Lab) {
        @{ Authorization = "Bearer $((Get-Content -Raw (Join-Path $Lab.StateDirectory 'token')).Trim())" }
    }
    function Set-LabFault($Lab, [hashtable] $Plan) {
        $null = Invoke-RestMethod -Method Put -Uri "$($Lab.Url)/clydelab/v1/faults" -Headers (Get-LabHeaders $Lab) `
            -ContentType 'application/json' -Body ($Plan | ConvertTo-Json -Depth 10 -Compress)
    }
    # The pre-pull pods, read straight from the API (not through the cmdlets under test).
    function Get-PrePullPod($Lab, [string] $Namespace = 'clyde') {
        @((Invoke-RestMethod -Uri "$($Lab.Url)/api/v1/namespaces/$Namespace/pods?labelSelector=clydeps.io%2Frole%3Dprepull" -Headers (Get-LabHeaders $Lab)).items)
    }
    function Get-LabelledNode($Lab) {
        $items = (Invoke-RestMethod -Uri "$($Lab.Url)/api/v1/nodes?labelSelector=p2p-seeder%3Dtrue" -Headers (Get-LabHeaders $Lab)).items
        @($items | ForEach-Object { $_.metadata.name } | Sort-Object)
    }
    function Test-Namespace($Lab, [string] $Name) {
        try { $null = Invoke-RestMethod -Uri "$($Lab.Url)/api/v1/namespaces/$Name" -Headers (Get-LabHeaders $Lab); $true } catch { $false }
    }
    function New-TestFolder {
        $dir = Join-Path $TestDrive ([guid]::NewGuid().ToString('N'))
        $null = New-Item -ItemType Directory -Path $dir
        $dir
    }
    function Read-Tracker([string] $Path) {
        @(Get-Content -Raw -LiteralPath $Path | ConvertFrom-Json -NoEnumerate | ForEach-Object { $_ } | Sort-Object)
    }
    # Nodes whose status.images list the image's digest (kubelet reports pulls after a short lag).
    function Wait-NodeImage([string] $Kube, [string] $Image, [string[]] $Nodes) {
        $deadline = [DateTime]::UtcNow.AddSeconds(30)
        do { $holding = @(Get-ClydeNodeImage -Kubeconfig $Kube -Image $Image -Node $Nodes | Where-Object Holds) }
        until ($holding.Count -ge $Nodes.Count -or [DateTime]::UtcNow -gt $deadline -or (Start-Sleep -Milliseconds 250))
        $holding
    }

    $script:Lab = Start-PrePullLab
    $script:Kube = $script:Lab.KubeconfigPath
    $script:Dir = New-TestFolder
    $script:Tracker = Join-Path $script:Dir 'seeder_tracker.json'
    # Four seeders: gpu-0 (labelled in the cluster file, tainted) and one per zone; down-1 labelled but NotReady.
    $null = Set-ClydeSeeder -Kubeconfig $script:Kube -TrackerPath $script:Tracker -Percentage 40
    # Set-ClydeSeeder unlabels the NotReady down-1; label it again by hand, as a seeder that failed since.
    $null = Invoke-RestMethod -Method Patch -Uri "$($script:Lab.Url)/api/v1/nodes/down-1" -Headers (Get-LabHeaders $script:Lab) `
        -ContentType 'application/merge-patch+json' -Body '{"metadata":{"labels":{"p2p-seeder":"true"}}}'
    $script:Seeders = @(Get-ClydeSeeder -Kubeconfig $script:Kube -TrackerPath $script:Tracker | Where-Object { $_.Ready -and $_.Labelled } | ForEach-Object Name | Sort-Object)
}

AfterAll {
    if ($script:Lab) { $script:Lab | Stop-ClydeLab }
}

Describe 'Start-ClydePrePull' {
    AfterEach { Set-LabFault $Lab @{} }

    It 'pre-pulls an images.txt on every healthy seeder, proves each digest, and keeps one holder pod per seeder and image' {
        $Seeders | Should -Contain 'gpu-0'
        $Seeders | Should -Not -Contain 'down-1'
        $Seeders.Count | Should -Be 4
        $file = Join-Path $Dir 'images.txt'
        Set-Content -Path $file -Value @('# tools', $Small, '', "$Bare   # no shell")
        Push-Location $Dir
        try {
            $r = @(Start-ClydePrePull -Kubeconfig $Kube -WarningVariable warnings -WarningAction SilentlyContinue)
        }
        finally { Pop-Location }
        $r | Should -HaveCount 2
        $r | ForEach-Object { $_ | Should -BeOfType ([ClydePS.ClydePrePullResult]) }
        # Each result is written as soon as its image is done on every seeder, so the order may vary.
        @($r.Image | Sort-Object) | Should -Be @(@($Small, $Bare) | Sort-Object)
        ($warnings -join "`n") | Should -Match 'down-1: NotReady'
        foreach ($one in $r | Sort-Object Image) {
            @($one.Nodes | Sort-Object) | Should -Be $Seeders
            @($one.Succeeded | Sort-Object) | Should -Be $Seeders
            $one.Failed | Should -BeNullOrEmpty
            $one.Digest | Should -Be (Get-ClydeImage -Kubeconfig $Kube $one.Image).Digest
            $one.HolderPods | Should -HaveCount 4
            $one.Duration.TotalSeconds | Should -BeGreaterThan 0
            # The kubelets list the digest in node.status.images.
            $holding = Wait-NodeImage $Kube $one.Image $Seeders
            @($holding.Name | Sort-Object) | Should -Be $Seeders
            $holding.Evidence | Sort-Object -Unique | Should -Be 'NodeImageList'
        }
        $pods = Get-PrePullPod $Lab
        $pods | Should -HaveCount 8
        foreach ($p in $pods) {
            $p.status.phase | Should -Be 'Succeeded'
            $p.metadata.annotations.'clydeps.io/hold' | Should -Be 'p2p-seeder=true'
            $p.metadata.name | Should -Match '^clydeps-prepull-[0-9a-f]{10}-[a-z0-9-]+$'
            $p.metadata.name.Length | Should -BeLessOrEqual 63
            $p.spec.containers[0].resources.requests | Should -BeNullOrEmpty
        }
        $gpu = $pods | Where-Object { $_.spec.nodeName -eq 'gpu-0' } | Select-Object -First 1
        $gpu.spec.tolerations | Where-Object { $_.key -eq 'dedicated' -and $_.value -eq 'gpu' -and $_.effect -eq 'NoSchedule' } | Should -Not -BeNullOrEmpty
        ($pods | Where-Object { $_.metadata.annotations.'clydeps.io/image' -eq $Bare } | Select-Object -First 1).spec.initContainers[0].image | Should -Match 'busybox'

        # A re-run pulls nothing: every seeder already holds both digests through its holder pod.
        $again = @(Start-ClydePrePull -Kubeconfig $Kube -ImageFile $file -WarningAction SilentlyContinue)
        foreach ($one in $again) { @($one.AlreadyHeld | Sort-Object) | Should -Be $Seeders }
        @(Get-PrePullPod $Lab).Count | Should -Be 8
        @((Get-PrePullPod $Lab).metadata.name | Sort-Object) | Should -Be @($pods.metadata.name | Sort-Object)

        # Remove-ClydeLeftover keeps holders whose node is still a seeder.
        $left = @(Remove-ClydeLeftover -Kubeconfig $Kube -Namespace clyde | Where-Object Role -eq 'prepull')
        $left | Should -HaveCount 8
        $left.Action | Sort-Object -Unique | Should -Be 'Kept'
        $left[0].Reason | Should -Match 'still a seeder'
    }

    It 'removes the holders of an image dropped from the list and of a node that stopped being a seeder; -NoHold keeps none' {
        $file = Join-Path $Dir 'two.txt'
        Set-Content -Path $file -Value @($Small, $Other)
        $null = Start-ClydePrePull -Kubeconfig $Kube -ImageFile $file -WarningAction SilentlyContinue
        @(Get-PrePullPod $Lab | Where-Object { $_.metadata.annotations.'clydeps.io/image' -eq $Other }) | Should -HaveCount 4

        Set-Content -Path $file -Value @($Small)
        $r = Start-ClydePrePull -Kubeconfig $Kube -ImageFile $file -WarningAction SilentlyContinue
        @($r.AlreadyHeld | Sort-Object) | Should -Be $Seeders
        @(Get-PrePullPod $Lab | Where-Object { $_.metadata.annotations.'clydeps.io/image' -eq $Other -and -not $_.metadata.deletionTimestamp }) | Should -HaveCount 0

        # A node that is no longer labelled loses its holders: at the next run, and in Remove-ClydeLeftover's rules.
        $null = Remove-ClydeSeeder -Kubeconfig $Kube -TrackerPath $Tracker -Name gpu-0 -Confirm:$false
        $rules = @(Remove-ClydeLeftover -Kubeconfig $Kube -Namespace clyde -WhatIf | Where-Object { $_.Role -eq 'prepull' -and $_.Node -eq 'gpu-0' })
        $rules | Should -Not -BeNullOrEmpty
        $rules[0].Reason | Should -Match 'no longer a seeder'
        $r = Start-ClydePrePull -Kubeconfig $Kube -ImageFile $file -WarningAction SilentlyContinue
        $r.Nodes | Should -Not -Contain 'gpu-0'
        @(Get-PrePullPod $Lab | Where-Object { $_.spec.nodeName -eq 'gpu-0' -and -not $_.metadata.deletionTimestamp }) | Should -HaveCount 0

        $free = Start-ClydePrePull -Kubeconfig $Kube -Image $Other -NoHold -WarningAction SilentlyContinue
        $free.Succeeded.Count | Should -Be 3
        $free.HolderPods | Should -BeNullOrEmpty
        @(Get-PrePullPod $Lab | Where-Object { $_.metadata.annotations.'clydeps.io/image' -eq $Other -and -not $_.metadata.deletionTimestamp }) | Should -HaveCount 0
    }

    It 'holder pods keep the pre-pulled images through kubelet image GC; an image without a holder goes' {
        # After the test above, the seeders hold $Small through holder pods, and $Other without any pod (-NoHold).
        $node = ($Seeders | Where-Object { $_ -ne 'gpu-0' })[0]
        @(Wait-NodeImage $Kube $Other @($node)) | Should -HaveCount 1
        $gc = Invoke-RestMethod -Method Post -Uri "$($Lab.Url)/clydelab/v1/nodes/$node/imagegc" -Headers (Get-LabHeaders $Lab)
        ($gc.removed -join ' ') | Should -Match 'tools/sidecar@sha256:'
        ($gc.removed -join ' ') | Should -Not -Match 'tools/agent@sha256:'
        (Get-ClydeNodeImage -Kubeconfig $Kube -Image $Small -Node $node).Holds | Should -BeTrue
        (Get-ClydeNodeImage -Kubeconfig $Kube -Image $Other -Node $node).Holds | Should -BeFalse
    }

    It 'reports a pull failure on one named seeder with its reason while the others succeed' {
        $victim = ($Seeders | Where-Object { $_ -ne 'gpu-0' })[0]
        Set-LabFault $Lab @{ pulls = @(@{ image = $Flaky; node = $victim; message = 'registry said no' }) }
        $r = Start-ClydePrePull -Kubeconfig $Kube -Image $Flaky -Namespace pp-fail -Timeout 10m -ErrorVariable pullErrors -ErrorAction SilentlyContinue -WarningAction SilentlyContinue
        $r.Failed | Should -HaveCount 1
        $r.Failed[0].Node | Should -Be $victim
        $r.Failed[0].Reason | Should -Match '^(ErrImagePull|ImagePullBackOff)$'
        $r.Failed[0].Message | Should -Match 'registry said no'
        @($r.Succeeded).Count | Should -Be (@($r.Nodes).Count - 1)
        @($pullErrors | ForEach-Object { Get-ErrorId $_ }) | Should -Contain 'ClydePrePullFailed'
        @(Get-PrePullPod $Lab 'pp-fail' | Where-Object { $_.spec.nodeName -eq $victim -and -not $_.metadata.deletionTimestamp }) | Should -HaveCount 0
        Test-Namespace $Lab 'pp-fail' | Should -BeTrue
    }

    It 'validates every line of the image list before anything is created' {
        $file = Join-Path $Dir 'bad.txt'
        Set-Content -Path $file -Value @('# header', '', $Small, 'Not A Valid//Reference', $Other)
        $err = $null
        try { Start-ClydePrePull -Kubeconfig $Kube -ImageFile $file -Namespace pp-bad -ErrorAction Stop } catch { $err = $_ }
        $err | Should -Not -BeNullOrEmpty
        Get-ErrorId $err | Should -Be 'ClydeInvalidImageList'
        $err.Exception.Message | Should -Match 'Line 4'
        $err.Exception.Message | Should -Match 'bad\.txt'
        Test-Namespace $Lab 'pp-bad' | Should -BeFalse

        Set-Content -Path $file -Value @('# only comments', '   ')
        { Start-ClydePrePull -Kubeconfig $Kube -ImageFile $file -Namespace pp-bad -ErrorAction Stop } | Should -Throw -ErrorId 'ClydeNoImages*'
        { Start-ClydePrePull -Kubeconfig $Kube -ImageFile (Join-Path $Dir 'missing.txt') -ErrorAction Stop } | Should -Throw -ErrorId 'ClydeImageFileNotFound*'
        { Start-ClydePrePull -Kubeconfig $Kube -Image $Small -Timeout 0 -ErrorAction Stop } | Should -Throw -ErrorId 'ClydeInvalidTimeout*'
        { Start-ClydePrePull -Kubeconfig $Kube -Image $Small -Label '=bad' -ErrorAction Stop } | Should -Throw -ErrorId 'ClydeInvalidSeederLabel*'
        Test-Namespace $Lab 'pp-bad' | Should -BeFalse
    }

    It 'writes the original log format to -LogPath' {
        $log = Join-Path $Dir 'seeder.log'
        $null = Start-ClydePrePull -Kubeconfig $Kube -Image $Small -LogPath $log -WarningAction SilentlyContinue
        $lines = @(Get-Content $log)
        $lines.Count | Should -BeGreaterThan 2
        $lines | ForEach-Object { $_ | Should -Match '^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} - clyde-seeder - (INFO|WARNING|ERROR) - .+' }
        ($lines -join "`n") | Should -Match ([regex]::Escape($Small))
    }

    It 'Ctrl+C mid pre-pull leaves no pre-pull pod behind' {
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript("Import-Module '$env:CLYDEPS_MODULE'; Start-ClydePrePull -Kubeconfig '$Kube' -Image '$Big' -Namespace pp-stop -WarningAction SilentlyContinue")
            $async = $ps.BeginInvoke()
            $deadline = [DateTime]::UtcNow.AddSeconds(60)
            while (@(Get-PrePullPod $Lab 'pp-stop' -ErrorAction SilentlyContinue | Where-Object { $_.status.phase -eq 'Pending' }).Count -lt 3 -and [DateTime]::UtcNow -lt $deadline) {
                Start-Sleep -Milliseconds 100
            }
            @(Get-PrePullPod $Lab 'pp-stop').Count | Should -BeGreaterOrEqual 3
            $ps.Stop()
            $async.IsCompleted | Should -BeTrue
            $left = @(Get-PrePullPod $Lab 'pp-stop' | Where-Object { -not $_.metadata.deletionTimestamp })
            ($left | ForEach-Object { "$($_.metadata.name) $($_.status.phase)" }) -join '; ' | Should -BeNullOrEmpty
        }
        finally { $ps.Dispose() }
    }

    It '-ThrottleLimit bounds how many images pull at once, as seen in the order of the pod watch events' {
        # Three seeders and ten 1 GiB images (five per run), on a Lab of their own (not
        # the shared `$Lab`) so nothing is held beforehand.
        $images = @(0..9 | ForEach-Object { "example.com/throttle/image-$($_):v1" })
        $spec = @{
            seed       = 11
            network    = @{ registryBandwidthMBps = 400; natBandwidthMBps = 400; nodeBandwidthMBps = 100 }
            images     = @($images | ForEach-Object { @{ reference = $_; size = '1Gi'; layerCount = 2; platforms = @('linux/amd64') } })
            nodeGroups = @(@{ name = 's'; count = 3; namePattern = 's-{0}'; labels = @{ 'p2p-seeder' = 'true' } })
        }
        $own = Start-PrePullLab $spec
        try {
            $h = Get-LabHeaders $own
            $selector = 'labelSelector=clydeps.io%2Frole%3Dprepull'
            # Replays the run's pod events from the watch history, in commit order, and returns the most images that had
            # a pod still pulling at one time: a pod pulls from its creation until its seed container reports an imageID
            # (what the runner waits for) or it ends or goes.
            function Measure-PullingImage([string] $Namespace, [scriptblock] $Run) {
                $rv = (Invoke-RestMethod -Uri "$($own.Url)/api/v1/namespaces/$Namespace/pods?$selector" -Headers $h).metadata.resourceVersion
                $result = & $Run
                $body = (Invoke-WebRequest -Uri "$($own.Url)/api/v1/namespaces/$Namespace/pods?watch=true&resourceVersion=$rv&timeoutSeconds=1&$selector" -Headers $h).Content
                $pulling = @{}
                $seen = @{}
                $most = 0
                foreach ($line in $body -split "`n" | Where-Object { $_.Trim() }) {
                    $e = $line | ConvertFrom-Json
                    if ($e.type -eq 'ERROR') { throw "The pod watch could not replay the run: $line" }
                    $pod = $e.object
                    $seen[$pod.metadata.name] = $pod.metadata.annotations.'clydeps.io/image'
                    $seed = @($pod.status.containerStatuses | Where-Object { $_.name -eq 'seed' })
                    $done = $e.type -eq 'DELETED' -or $pod.status.phase -in 'Succeeded', 'Failed' -or ($seed.Count -gt 0 -and $seed[0].imageID)
                    if ($done) { $pulling.Remove($pod.metadata.name) } else { $pulling[$pod.metadata.name] = $pod.metadata.annotations.'clydeps.io/image' }
                    $most = [Math]::Max($most, @($pulling.Values | Sort-Object -Unique).Count)
                }
                [pscustomobject]@{ Results = @($result); Pods = $seen.Count; Images = @($seen.Values | Sort-Object -Unique).Count; MostImagesPulling = $most }
            }

            $two = Measure-PullingImage 'pp-two' { Start-ClydePrePull -Kubeconfig $own.KubeconfigPath -Image $images[0..4] -Namespace pp-two -ThrottleLimit 2 -WarningAction SilentlyContinue }
            $two.Results | Should -HaveCount 5
            $two.Results | ForEach-Object { @($_.Succeeded) | Should -HaveCount 3 }
            $two.Pods | Should -Be 15
            $two.Images | Should -Be 5
            $two.MostImagesPulling | Should -Be 2

            # The same check sees more than two at once when the limit allows it, so it can fail.
            $five = Measure-PullingImage 'pp-five' { Start-ClydePrePull -Kubeconfig $own.KubeconfigPath -Image $images[5..9] -Namespace pp-five -ThrottleLimit 5 -WarningAction SilentlyContinue }
            $five.Results | Should -HaveCount 5
            $five.Results | ForEach-Object { @($_.Succeeded) | Should -HaveCount 3 }
            $five.Pods | Should -Be 15
            $five.MostImagesPulling | Should -BeGreaterThan 2
        }
        finally { $own | Stop-ClydeLab }
    }

    It '-WhatIf lists what it would pull and creates nothing' {
        $out = & (Get-PwshPath) -NoProfile -NonInteractive -Command "Import-Module '$env:CLYDEPS_MODULE'; Start-ClydePrePull -Kubeconfig '$Kube' -Image '$Other' -Namespace pp-whatif -WhatIf -WarningAction SilentlyContinue" | Out-String
        $out | Should -Match 'Create namespace'
        $out | Should -Match 'Pre-pull image'
        $out | Should -Match ([regex]::Escape($Other))
        foreach ($s in $Seeders | Where-Object { $_ -ne 'gpu-0' }) { $out | Should -Match $s }
        Test-Namespace $Lab 'pp-whatif' | Should -BeFalse
    }
}

Describe 'Watch-ClydeSeeder' {
    It '-Once replaces a seeder NotReady longer than the grace period, in its zone, and pre-pulls on the new one' {
        $lab = Start-PrePullLab
        try {
            $k = $lab.KubeconfigPath
            $dir = New-TestFolder
            $tracker = Join-Path $dir 'seeder_tracker.json'
            Set-Content -Path $tracker -Value '["down-1","w-2"]'
            Set-Content -Path (Join-Path $dir 'images.txt') -Value @($Small)
            Push-Location $dir
            try { $events = @(Watch-ClydeSeeder -Kubeconfig $k -Once -NotReadyGracePeriod 1s -WarningAction SilentlyContinue) }
            finally { Pop-Location }
            $events | ForEach-Object { $_ | Should -BeOfType ([ClydePS.ClydeSeederEvent]) }
            $replaced = @($events | Where-Object Kind -eq 'Replaced')
            $replaced | Should -HaveCount 1
            $replaced[0].Node | Should -Be 'down-1'
            $replaced[0].Zone | Should -Be 'z-a'
            $replaced[0].Reason | Should -Match 'NotReady'
            $new = $replaced[0].Replacement
            $new | Should -Not -BeIn @('down-1', 'w-2', 'w-0', 'gpu-0')
            $pulled = @($events | Where-Object Kind -eq 'PrePulled')
            $pulled | Should -HaveCount 1
            $pulled[0].PrePull[0].Succeeded | Should -Be @($new)
            Read-Tracker $tracker | Should -Be @(@($new, 'w-2') | Sort-Object)
            $labelled = Get-LabelledNode $lab
            $labelled | Should -Contain $new
            $labelled | Should -Not -Contain 'down-1'
            @(Get-PrePullPod $lab | Where-Object { $_.spec.nodeName -eq $new }) | Should -HaveCount 1

            # Nothing left to do: a second pass changes nothing.
            @(Watch-ClydeSeeder -Kubeconfig $k -Once -TrackerPath $tracker -ImageFile (Join-Path $dir 'images.txt') -NotReadyGracePeriod 1s -WarningAction SilentlyContinue |
                Where-Object Kind -eq 'Replaced') | Should -HaveCount 0
        }
        finally { $lab | Stop-ClydeLab }
    }

    It 'two watchers on one tracker replace a failed seeder once: the second decides on a fresh view, under the lock' {
        # Every node patch takes a wall-clock second (20 s of Lab time at 20x), so the second watcher listed the nodes long
        # before the first one's label changes land; it then waits for the tracker's lock with down-1 still labelled in its view.
        $lab = Start-PrePullLab
        try {
            Set-LabFault $lab @{ api = @(@{ verb = 'patch'; resource = 'nodes'; code = 0; latencyMs = 20000; rate = 1 }) }
            $dir = New-TestFolder
            $tracker = Join-Path $dir 'seeder_tracker.json'
            Set-Content -Path $tracker -Value '["down-1","w-2"]'
            $outs = Invoke-TwoProcessesAtOnce -Dir $dir -Kube $lab.KubeconfigPath -Tracker $tracker -Command @'
$events = @(Watch-ClydeSeeder -Kubeconfig $Kube -TrackerPath $Tracker -Once -NotReadyGracePeriod 1s -WarningAction SilentlyContinue)
@($events | Where-Object Kind -eq 'Replaced' | ForEach-Object { "$($_.Node)>$($_.Replacement)" }) -join ',' | Set-Content -Path $Out
'@
            $replaced = @($outs | Where-Object { $_ } | ForEach-Object { $_ -split ',' })
            $replaced | Should -HaveCount 1
            $replaced[0] | Should -BeLike 'down-1>*'
            $new = ($replaced[0] -split '>')[1]
            # The pool keeps its size: the replacement and w-2 in the tracker, labelled with gpu-0 (labelled, not tracked).
            Read-Tracker $tracker | Should -Be @(@($new, 'w-2') | Sort-Object)
            Get-LabelledNode $lab | Should -Be @(@($new, 'gpu-0') | Sort-Object)
        }
        finally { $lab | Stop-ClydeLab }
    }

    It 'a running watch replaces a seeder failed by fault injection, through cut watches and API errors, then stops at -Timeout' {
        $lab = Start-PrePullLab
        try {
            $k = $lab.KubeconfigPath
            $dir = New-TestFolder
            $tracker = Join-Path $dir 'seeder_tracker.json'
            $images = Join-Path $dir 'images.txt'
            Set-Content -Path $images -Value @($Small)
            $pool = @(Set-ClydeSeeder -Kubeconfig $k -TrackerPath $tracker -Percentage 34 | Where-Object Action -eq 'Labelled')
            $victim = ($pool | Where-Object Zone -eq 'z-b').Name
            # The watch must survive: streams cut every 60 s of Lab time, and the first node watches answered with 503.
            Set-LabFault $lab @{
                nodes                = @(@{ node = $victim; notReadyAfterSeconds = 1 })
                watchCutAfterSeconds = 60
                api                  = @(@{ verb = 'watch'; resource = 'nodes'; code = 503; count = 3 })
            }
            # Lab time runs 20x: 10 minutes of watching are 30 s here; the node turns NotReady after the 40 s lease grace.
            $events = @(Watch-ClydeSeeder -Kubeconfig $k -TrackerPath $tracker -ImageFile $images -NotReadyGracePeriod 30s -Timeout 10m -WarningAction SilentlyContinue)
            $kinds = @($events | Where-Object Node -eq $victim | ForEach-Object { "$($_.Kind)" })
            $kinds | Should -Contain 'NotReady'
            $kinds | Should -Contain 'Replaced'
            $kinds | Should -Contain 'PrePulled'
            [array]::IndexOf($kinds, 'NotReady') | Should -BeLessThan ([array]::IndexOf($kinds, 'Replaced'))
            $replaced = $events | Where-Object { $_.Kind -eq 'Replaced' -and $_.Node -eq $victim }
            $replaced.Zone | Should -Be 'z-b'
            $new = $replaced.Replacement
            # Replaced only after the 30 s grace period, counted from the node's Ready transition (Lab time).
            $node = Invoke-RestMethod -Uri "$($lab.Url)/api/v1/nodes/$victim" -Headers (Get-LabHeaders $lab)
            $since = [DateTimeOffset]($node.status.conditions | Where-Object type -eq 'Ready').lastTransitionTime
            ($replaced.Time - $since).TotalSeconds | Should -BeGreaterOrEqual 29
            $tracked = Read-Tracker $tracker
            $tracked | Should -Contain $new
            $tracked | Should -Not -Contain $victim
            Get-LabelledNode $lab | Should -Not -Contain $victim
            ($events | Where-Object Kind -eq 'PrePulled').PrePull[0].Succeeded | Should -Be @($new)
            # The faults were really hit: node watches answered 503 and were resumed.
            $requests = (Invoke-RestMethod -Uri "$($lab.Url)/clydelab/v1/requests?limit=2000" -Headers (Get-LabHeaders $lab)).requests
            @($requests | Where-Object { $_.verb -eq 'watch' -and $_.resource -eq 'nodes' -and $_.code -eq 503 }).Count | Should -Be 3
            @($requests | Where-Object { $_.verb -eq 'watch' -and $_.resource -eq 'nodes' -and $_.code -eq 200 }).Count | Should -BeGreaterThan 2
        }
        finally { $lab | Stop-ClydeLab }
    }
}
