# Set-, Get- and Remove-ClydeSeeder end to end on Labs: the seeder label on the Lab's nodes, the tracker file on disk.
BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')

    # Nine eligible workers over three zones (w-0 is a control-plane node), plus a NotReady node that already carries the label.
    $script:Spec = @{
        seed       = 4
        nodeGroups = @(@{ name = 'w'; count = 10; namePattern = 'w-{0}'; zones = @('z-a', 'z-b', 'z-c'); publicRatio = 0.3; controlPlane = 1 })
        nodes      = @(@{ name = 'down-1'; ready = $false; zone = 'z-a'; labels = @{ 'p2p-seeder' = 'true' } })
    }

    function Start-SeederLab([hashtable] $Spec = $script:Spec, [double] $TimeScale = 1, $Fault) {
        $params = @{ ClusterFile = (New-TestClusterFile -Spec $Spec -Name "cluster-$([guid]::NewGuid().ToString('N')).json"); TimeScale = $TimeScale }
        if ($Fault) { $params.Fault = $Fault }
        Start-ClydeLab @params
    }
    function Get-LabHeaders($Lab) {
        @{ Authorization = "Bearer $((Get-Content -Raw (Join-Path $Lab.StateDirectory 'token')).Trim())" }
    }
    function Set-LabFault($Lab, [hashtable] $Plan) {
        $null = Invoke-RestMethod -Method Put -Uri "$($Lab.Url)/clydelab/v1/faults" -Headers (Get-LabHeaders $Lab) `
            -ContentType 'application/json' -Body ($Plan | ConvertTo-Json -Depth 10 -Compress)
    }
    # The nodes carrying the seeder label, read straight from the API (not through the cmdlets under test).
    function Get-LabelledNode($Lab, [string] $Selector = 'p2p-seeder=true') {
        $items = (Invoke-RestMethod -Uri "$($Lab.Url)/api/v1/nodes?labelSelector=$([uri]::EscapeDataString($Selector))" -Headers (Get-LabHeaders $Lab)).items
        @($items | ForEach-Object { $_.metadata.name } | Sort-Object)
    }
    function Read-Tracker([string] $Path) {
        @(Get-Content -Raw -LiteralPath $Path | ConvertFrom-Json -NoEnumerate | ForEach-Object { $_ } | Sort-Object)
    }
    function New-TrackerPath {
        $dir = Join-Path $TestDrive ([guid]::NewGuid().ToString('N'))
        $null = New-Item -ItemType Directory -Path $dir
        Join-Path $dir 'seeder_tracker.json'
    }
}

Describe 'Set-ClydeSeeder' {
    It 'builds a fresh pool spread across zones, records it, and unlabels a labelled NotReady node' {
        $lab = Start-SeederLab
        try {
            $tracker = New-TrackerPath
            $out = Set-ClydeSeeder -Kubeconfig $lab.KubeconfigPath -TrackerPath $tracker
            $out | ForEach-Object { $_ | Should -BeOfType ([ClydePS.ClydeSeeder]) }
            $new = @($out | Where-Object Action -eq 'Labelled')
            # 9 eligible (w-0 is control plane, down-1 NotReady): max(1, floor(9 x 40 / 100)) = 3, one per zone.
            $new | Should -HaveCount 3
            @($new.Zone | Sort-Object) | Should -Be @('z-a', 'z-b', 'z-c')
            $new.Name | Should -Not -Contain 'w-0'
            $new | ForEach-Object { $_.Status | Should -Be 'Healthy'; $_.Labelled | Should -BeTrue; $_.Tracked | Should -BeTrue }
            $down = $out | Where-Object Name -eq 'down-1'
            $down.Action | Should -Be 'Unlabelled'
            $down.Reason | Should -Match 'NotReady'

            Get-LabelledNode $lab | Should -Be @($new.Name | Sort-Object)
            Read-Tracker $tracker | Should -Be @($new.Name | Sort-Object)
            (Get-Content -Raw $tracker).Trim() | Should -Match '^\["[^"]+","[^"]+","[^"]+"\]$'
            Test-Path "$tracker.tmp" | Should -BeFalse

            $pool = Get-ClydeSeeder -Kubeconfig $lab.KubeconfigPath -TrackerPath $tracker
            $pool | Should -HaveCount 3
            $pool.Status | Sort-Object -Unique | Should -Be 'Healthy'
        }
        finally { $lab | Stop-ClydeLab }
    }

    It 'is stable: a re-run keeps the same seeders and does not rewrite the tracker' {
        $lab = Start-SeederLab
        try {
            $tracker = New-TrackerPath
            $first = Set-ClydeSeeder -Kubeconfig $lab.KubeconfigPath -TrackerPath $tracker | Where-Object Action -eq 'Labelled'
            $written = (Get-Item $tracker).LastWriteTimeUtc
            $content = Get-Content -Raw $tracker
            $second = Set-ClydeSeeder -Kubeconfig $lab.KubeconfigPath -TrackerPath $tracker
            $second.Action | Sort-Object -Unique | Should -Be 'Kept'
            @($second.Name | Sort-Object) | Should -Be @($first.Name | Sort-Object)
            Get-Content -Raw $tracker | Should -Be $content
            (Get-Item $tracker).LastWriteTimeUtc | Should -Be $written

            # The same cluster shape on another Lab gives the same pool: the choice is deterministic, not random.
            $twin = Start-SeederLab
            try {
                $other = Set-ClydeSeeder -Kubeconfig $twin.KubeconfigPath -TrackerPath (New-TrackerPath) | Where-Object Action -eq 'Labelled'
                @($other.Name | Sort-Object) | Should -Be @($first.Name | Sort-Object)
            }
            finally { $twin | Stop-ClydeLab }
        }
        finally { $lab | Stop-ClydeLab }
    }

    It 'replaces a seeder that goes NotReady with a node of the same zone' {
        $lab = Start-SeederLab -TimeScale 20
        try {
            $k = $lab.KubeconfigPath
            $tracker = New-TrackerPath
            $pool = Set-ClydeSeeder -Kubeconfig $k -TrackerPath $tracker | Where-Object Action -eq 'Labelled'
            $lost = $pool | Where-Object Zone -eq 'z-b'
            Set-LabFault $lab @{ nodes = @(@{ node = $lost.Name; notReadyAfterSeconds = 1 }) }
            $deadline = [DateTime]::UtcNow.AddSeconds(60)
            do { $status = (Get-ClydeSeeder $lost.Name -Kubeconfig $k -TrackerPath $tracker).Status }
            until ($status -eq 'NotReady' -or [DateTime]::UtcNow -gt $deadline -or (Start-Sleep -Milliseconds 200))
            $status | Should -Be 'NotReady'

            $out = Set-ClydeSeeder -Kubeconfig $k -TrackerPath $tracker
            $gone = $out | Where-Object Name -eq $lost.Name
            $gone.Action | Should -Be 'Unlabelled'
            $gone.Reason | Should -Match 'replaced: NotReady'
            $new = @($out | Where-Object Action -eq 'Labelled')
            $new | Should -HaveCount 1
            $new[0].Zone | Should -Be 'z-b'
            @($out | Where-Object Action -eq 'Kept') | Should -HaveCount 2
            $expected = @(($pool | Where-Object Name -ne $lost.Name).Name) + $new[0].Name | Sort-Object
            Get-LabelledNode $lab | Should -Be $expected
            Read-Tracker $tracker | Should -Be $expected
        }
        finally { $lab | Stop-ClydeLab }
    }

    It 'reports surplus seeders after the percentage drops and unlabels them with -Prune' {
        $lab = Start-SeederLab
        try {
            $k = $lab.KubeconfigPath
            $tracker = New-TrackerPath
            $null = Set-ClydeSeeder 60 -Kubeconfig $k -TrackerPath $tracker
            Get-LabelledNode $lab | Should -HaveCount 5

            $out = Set-ClydeSeeder 30 -Kubeconfig $k -TrackerPath $tracker -WarningVariable w -WarningAction SilentlyContinue
            @($out | Where-Object Action -eq 'Kept') | Should -HaveCount 2
            @($out | Where-Object Action -eq 'Surplus') | Should -HaveCount 3
            "$w" | Should -Match '3 seeder\(s\) beyond the target of 2.*-Prune'
            Get-LabelledNode $lab | Should -HaveCount 5
            Read-Tracker $tracker | Should -HaveCount 5

            $pruned = Set-ClydeSeeder 30 -Kubeconfig $k -TrackerPath $tracker -Prune
            $kept = @($pruned | Where-Object Action -eq 'Kept')
            @($pruned | Where-Object Action -eq 'Unlabelled').Name | Sort-Object | Should -Be @(($out | Where-Object Action -eq 'Surplus').Name | Sort-Object)
            Get-LabelledNode $lab | Should -Be @($kept.Name | Sort-Object)
            Read-Tracker $tracker | Should -Be @($kept.Name | Sort-Object)
            @($kept.Zone | Sort-Object -Unique) | Should -HaveCount 2
        }
        finally { $lab | Stop-ClydeLab }
    }

    It 'warns about a corrupt tracker, naming it, and rebuilds it from the labels' {
        $lab = Start-SeederLab
        try {
            $k = $lab.KubeconfigPath
            $tracker = New-TrackerPath
            $pool = Set-ClydeSeeder -Kubeconfig $k -TrackerPath $tracker | Where-Object Action -eq 'Labelled'
            Set-Content -LiteralPath $tracker -Value '["w-1", "w-'

            $null = Get-ClydeSeeder -Kubeconfig $k -TrackerPath $tracker -WarningVariable gw -WarningAction SilentlyContinue
            "$gw" | Should -Match ([regex]::Escape($tracker))

            $out = Set-ClydeSeeder -Kubeconfig $k -TrackerPath $tracker -WarningVariable w -WarningAction SilentlyContinue
            "$w" | Should -Match ([regex]::Escape($tracker))
            "$w" | Should -Match 'corrupt'
            $out.Action | Sort-Object -Unique | Should -Be 'Kept'
            Read-Tracker $tracker | Should -Be @($pool.Name | Sort-Object)
            Get-Content -Raw "$tracker.corrupt" | Should -Match '\["w-1", "w-'
            Get-LabelledNode $lab | Should -Be @($pool.Name | Sort-Object)
        }
        finally { $lab | Stop-ClydeLab }
    }

    It 'adopts the labelled seeders when the tracker is missing, instead of labelling more' {
        $lab = Start-SeederLab
        try {
            $k = $lab.KubeconfigPath
            $tracker = New-TrackerPath
            $pool = Set-ClydeSeeder -Kubeconfig $k -TrackerPath $tracker | Where-Object Action -eq 'Labelled'
            Remove-Item -LiteralPath $tracker
            (Get-ClydeSeeder -Kubeconfig $k -TrackerPath $tracker).Status | Sort-Object -Unique | Should -Be 'Untracked'

            $out = Set-ClydeSeeder -Kubeconfig $k -TrackerPath $tracker
            $out.Action | Sort-Object -Unique | Should -Be 'Kept'
            $out | ForEach-Object { $_.Reason | Should -Match 'adopted' }
            Read-Tracker $tracker | Should -Be @($pool.Name | Sort-Object)
            Get-LabelledNode $lab | Should -HaveCount 3
        }
        finally { $lab | Stop-ClydeLab }
    }

    It 'resolves the default tracker path against the current PowerShell location' {
        $lab = Start-SeederLab
        $dir = Join-Path $TestDrive 'location'
        $null = New-Item -ItemType Directory -Path $dir -Force
        Push-Location $dir
        try {
            $null = Set-ClydeSeeder -Kubeconfig $lab.KubeconfigPath
            Join-Path $dir 'seeder_tracker.json' | Should -Exist
            Read-Tracker (Join-Path $dir 'seeder_tracker.json') | Should -HaveCount 3
            (Get-ClydeSeeder -Kubeconfig $lab.KubeconfigPath).Tracked | Sort-Object -Unique | Should -BeTrue
        }
        finally {
            Pop-Location
            $lab | Stop-ClydeLab
        }
    }

    It 'two processes running Set-ClydeSeeder at once never label more than the target' {
        # Every node patch takes 400 ms, so without the tracker lock both processes would label their own three nodes.
        $lab = Start-SeederLab -Fault @{ api = @(@{ verb = 'patch'; resource = 'nodes'; code = 0; latencyMs = 400; rate = 1 }) }
        try {
            $tracker = New-TrackerPath
            $dir = Split-Path $tracker
            $outs = Invoke-TwoProcessesAtOnce -Dir $dir -Kube $lab.KubeconfigPath -Tracker $tracker -Command @'
$r = Set-ClydeSeeder -Kubeconfig $Kube -TrackerPath $Tracker
@($r | ForEach-Object { "$($_.Name)=$($_.Action)" }) -join ',' | Set-Content -Path $Out
'@
            # One process labelled the pool; the other, serialised behind the lock, found it and kept it.
            $labelled = @($outs | ForEach-Object { $_ -split ',' } | Where-Object { $_ -like '*=Labelled' })
            $labelled | Should -HaveCount 3
            @($outs | Where-Object { $_ -notmatch 'Labelled' }) | Should -HaveCount 1
            Get-LabelledNode $lab | Should -HaveCount 3
            Read-Tracker $tracker | Should -Be (Get-LabelledNode $lab)
        }
        finally { $lab | Stop-ClydeLab }
    }

    It '-WhatIf lists the nodes it would label and unlabel and changes nothing' {
        $lab = Start-SeederLab
        try {
            $tracker = New-TrackerPath
            $command = "Import-Module '$env:CLYDEPS_MODULE'; Set-ClydeSeeder -Kubeconfig '$($lab.KubeconfigPath)' -TrackerPath '$tracker' -WhatIf | Format-Table Name, Action -AutoSize"
            $text = & (Get-PwshPath) -NoProfile -NonInteractive -Command $command | Out-String
            $text | Should -Match 'What if: .*"Label p2p-seeder=true" on target "node w-\d'
            $text | Should -Match 'What if: .*"Remove label p2p-seeder" on target "node down-1'
            $text | Should -Match 'WouldLabel'
            $text | Should -Match 'WouldUnlabel'
            Get-LabelledNode $lab | Should -Be @('down-1')
            Test-Path $tracker | Should -BeFalse
            Test-Path "$tracker.lock" | Should -BeFalse

            $objects = Set-ClydeSeeder -Kubeconfig $lab.KubeconfigPath -TrackerPath $tracker -WhatIf
            @($objects | Where-Object Action -eq 'WouldLabel') | Should -HaveCount 3
            ($objects | Where-Object Name -eq 'down-1').Action | Should -Be 'WouldUnlabel'
            Get-LabelledNode $lab | Should -Be @('down-1')
        }
        finally { $lab | Stop-ClydeLab }
    }

    It 'rejects bad input before any request: <Name>' -ForEach @(
        @{ Name = 'percentage 0'; Params = @{ Percentage = 0 }; Id = 'ClydeInvalidSeederPercentage' }
        @{ Name = 'percentage 150'; Params = @{ Percentage = 150 }; Id = 'ParameterArgumentValidationError' }
        @{ Name = 'invalid label'; Params = @{ Label = 'bad key=true' }; Id = 'ClydeInvalidSeederLabel' }
    ) {
        $tracker = New-TrackerPath
        # The kubeconfig does not exist: a request would fail with ClydeKubeconfigNotFound instead.
        $err = $null
        try { Set-ClydeSeeder @Params -Kubeconfig (Join-Path $TestDrive 'nope.yaml') -TrackerPath $tracker }
        catch { $err = $_ }
        $err | Should -Not -BeNullOrEmpty
        Get-ErrorId $err | Should -Be $Id
        Test-Path $tracker | Should -BeFalse
    }
}

Describe 'Get-ClydeSeeder and Remove-ClydeSeeder' {
    It 'shows every Status and removes piped seeders from labels and tracker' {
        $lab = Start-SeederLab
        try {
            $k = $lab.KubeconfigPath
            $tracker = New-TrackerPath
            $pool = @(Set-ClydeSeeder -Kubeconfig $k -TrackerPath $tracker | Where-Object Action -eq 'Labelled' | Sort-Object Name)
            # Drift on both sides: a tracked node that is gone, a labelled node nobody tracks, a NotReady labelled one.
            Set-Content -LiteralPath $tracker -Value ((@($pool.Name) + 'ghost-1' | ConvertTo-Json -Compress))
            $patch = @{ metadata = @{ labels = @{ 'p2p-seeder' = 'true' } } } | ConvertTo-Json -Depth 5 -Compress
            $extra = (Get-ClydeNodeNetwork -Kubeconfig $k | Where-Object { $_.Eligible -and $_.Name -notin $pool.Name } | Select-Object -First 1).Name
            foreach ($n in $extra, 'down-1') {
                $null = Invoke-RestMethod -Method Patch -Uri "$($lab.Url)/api/v1/nodes/$n" -Headers (Get-LabHeaders $lab) -ContentType 'application/merge-patch+json' -Body $patch
            }

            $all = Get-ClydeSeeder -Kubeconfig $k -TrackerPath $tracker
            ($all | Where-Object Name -eq 'ghost-1').Status | Should -Be 'Missing'
            ($all | Where-Object Name -eq $extra).Status | Should -Be 'Untracked'
            ($all | Where-Object Name -eq 'down-1').Status | Should -Be 'NotReady'
            @($all | Where-Object Status -eq 'Healthy') | Should -HaveCount 3
            (Get-ClydeSeeder 'ghost-*' -Kubeconfig $k -TrackerPath $tracker).Name | Should -Be 'ghost-1'

            # Remove: a healthy seeder (piped), the missing one, and a name that is nothing at all.
            $removed = @($all | Where-Object { $_.Name -in $pool[0].Name, 'ghost-1' }) |
                Remove-ClydeSeeder -Kubeconfig $k -TrackerPath $tracker -PassThru
            ($removed | Where-Object Name -eq $pool[0].Name).Action | Should -Be 'Unlabelled'
            ($removed | Where-Object Name -eq 'ghost-1').Action | Should -Be 'Dropped'
            Read-Tracker $tracker | Should -Be @($pool[1..2].Name | Sort-Object)
            Get-LabelledNode $lab | Should -Not -Contain $pool[0].Name

            Remove-ClydeSeeder 'no-such-node' -Kubeconfig $k -TrackerPath $tracker -ErrorVariable errs -ErrorAction SilentlyContinue
            $errs | Should -HaveCount 1
            Get-ErrorId $errs[0] | Should -Be 'ClydeNodeNotFound'
            $errs[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'

            # Unlabelled: tracked, but someone took the label off.
            $unpatch = @{ metadata = @{ labels = @{ 'p2p-seeder' = $null } } } | ConvertTo-Json -Depth 5 -Compress
            $null = Invoke-RestMethod -Method Patch -Uri "$($lab.Url)/api/v1/nodes/$($pool[1].Name)" -Headers (Get-LabHeaders $lab) -ContentType 'application/merge-patch+json' -Body $unpatch
            (Get-ClydeSeeder $pool[1].Name -Kubeconfig $k -TrackerPath $tracker).Status | Should -Be 'Unlabelled'
        }
        finally { $lab | Stop-ClydeLab }
    }

    It 'Remove-ClydeSeeder -WhatIf changes nothing' {
        $lab = Start-SeederLab
        try {
            $k = $lab.KubeconfigPath
            $tracker = New-TrackerPath
            $pool = Set-ClydeSeeder -Kubeconfig $k -TrackerPath $tracker | Where-Object Action -eq 'Labelled'
            $content = Get-Content -Raw $tracker
            $r = $pool | Remove-ClydeSeeder -Kubeconfig $k -TrackerPath $tracker -WhatIf -PassThru
            $r.Action | Sort-Object -Unique | Should -Be 'WouldUnlabel'
            Get-Content -Raw $tracker | Should -Be $content
            Get-LabelledNode $lab | Should -Be @($pool.Name | Sort-Object)
        }
        finally { $lab | Stop-ClydeLab }
    }
}

Describe 'Watch-ClydeSeeder -WhatIf' {
    It '-WhatIf -Once names each seeder it would replace and its replacement, and changes nothing' {
        $spec = $script:Spec.Clone()
        $spec.images = @(@{ reference = 'example.com/tools/agent:v1'; size = '16Mi'; layerCount = 1; platforms = @('linux/amd64') })
        $lab = Start-SeederLab $spec
        try {
            $k = $lab.KubeconfigPath
            $h = Get-LabHeaders $lab
            $tracker = New-TrackerPath
            $images = Join-Path (Split-Path $tracker) 'images.txt'
            Set-Content -Path $images -Value 'example.com/tools/agent:v1'
            # down-1 is labelled and NotReady, ghost-1 is gone: both must be replaced; w-2 is healthy.
            Set-Content -Path $tracker -Value '["down-1","ghost-1","w-2"]'
            $content = Get-Content -Raw $tracker
            $written = (Get-Item $tracker).LastWriteTimeUtc
            $labelled = Get-LabelledNode $lab
            $labelled | Should -Be @('down-1')
            $writes = { [int](((Invoke-RestMethod -Uri "$($lab.Url)/clydelab/v1/stats" -Headers $h).requests |
                Where-Object { $_.verb -in 'create', 'update', 'patch', 'delete', 'deletecollection' } | Measure-Object count -Sum).Sum) }
            $before = & $writes

            # What-if lines go to the host, so a child pwsh prints them.
            $command = "Import-Module '$env:CLYDEPS_MODULE'; Watch-ClydeSeeder -Kubeconfig '$k' -TrackerPath '$tracker' -ImageFile '$images' -NotReadyGracePeriod 0s -Once -WhatIf"
            $text = (& (Get-PwshPath) -NoProfile -NonInteractive -Command $command | Out-String) -replace '\r?\n', ' '
            $text | Should -Match 'What if: .*"Replace seeder" on target "seeder down-1 \(NotReady for \d+ s'
            $text | Should -Match 'seeder ghost-1 \(the node is gone\): label w-\d+ p2p-seeder=true'
            $text | Should -Match 'unlabel down-1'
            $text | Should -Match 'pre-pull 1 image\(s\)'

            # Nothing changed: the tracker, the labels, no pod, no write request at all.
            Get-Content -Raw $tracker | Should -Be $content
            (Get-Item $tracker).LastWriteTimeUtc | Should -Be $written
            Get-LabelledNode $lab | Should -Be $labelled
            @((Invoke-RestMethod -Uri "$($lab.Url)/api/v1/pods?labelSelector=clydeps.io%2Frole%3Dprepull" -Headers $h).items) | Should -HaveCount 0
            & $writes | Should -Be $before

            # The real pass then does what -WhatIf said: the same seeders replaced by the same nodes.
            $events = @(Watch-ClydeSeeder -Kubeconfig $k -TrackerPath $tracker -ImageFile $images -NotReadyGracePeriod 0s -Once -WarningAction SilentlyContinue)
            $replaced = @($events | Where-Object Kind -eq 'Replaced')
            @($replaced.Node | Sort-Object) | Should -Be @('down-1', 'ghost-1')
            foreach ($r in $replaced) {
                $text | Should -Match "seeder $([regex]::Escape($r.Node)) \(.*?\): label $([regex]::Escape($r.Replacement)) "
            }
            Get-Content -Raw $tracker | Should -Not -Be $content
            Get-LabelledNode $lab | Should -Not -Contain 'down-1'
        }
        finally { $lab | Stop-ClydeLab }
    }
}
