# Export-ClydeRolloutReport: reports of a real seeded rollout on a Lab and of forecasts, rendered by headless
# Chromium (Debian 'chromium', installed by ./build.ps1 Test) and checked in the DOM it builds.
BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $script:Image = 'example.com/llm/server:v1'
    $script:Chromium = (Get-Command chromium, chromium-browser -CommandType Application -ErrorAction Ignore | Select-Object -First 1).Source

    # The DOM headless Chromium builds from a file (what a browser shows, after parsing).
    function Get-RenderedDom([string] $Path) {
        if (-not $script:Chromium) { throw 'chromium is not installed: ./build.ps1 Test installs it (Debian package chromium).' }
        $profile = Join-Path $TestDrive "chromium-$([guid]::NewGuid().ToString('N'))"
        $dom = & $script:Chromium --headless --disable-gpu --no-sandbox --no-first-run --user-data-dir=$profile --dump-dom "file://$Path" 2>$null
        if ($LASTEXITCODE -ne 0) { throw "chromium --dump-dom failed with exit code $LASTEXITCODE" }
        $dom -join "`n"
    }

    $spec = @{
        seed       = 11
        network    = @{ registryBandwidthMBps = 400; natBandwidthMBps = 200; nodeBandwidthMBps = 100; p2p = $true }
        images     = @(@{ reference = $script:Image; size = '1Gi'; layerCount = 4; platforms = @('linux/amd64') })
        nodeGroups = @(@{ name = 'w'; count = 6; namePattern = 'w-{0:00}' })
    }
    $script:Lab = Start-ClydeLab -ClusterFile (New-TestClusterFile -Spec $spec) -TimeScale 20
    $kube = $script:Lab.KubeconfigPath
    Wait-LabMirrorReady $script:Lab

    $script:Seed = Start-ClydeSeed -Kubeconfig $kube -Image $script:Image -Strategy Adaptive -DaemonSetName llm -InitialSeeds 1 -MonitorInterval 1s -MonitorWindow 4s -MonitorBandwidthThreshold 500
    $script:Ds = $script:Seed | New-ClydeDaemonSet -Kubeconfig $kube -Name llm -Wait -Timeout 10m
    $script:Forecasts = Invoke-ClydeSeedSimulation -NodeCount 300 -PublicRatio 0.2 -ImageSizeGB 10 -RegistryBandwidthMBps 300 -NatBandwidthMBps 1000 -P2P
}

AfterAll {
    if ($script:Lab) { $script:Lab | Stop-ClydeLab }
}

Describe 'Export-ClydeRolloutReport HTML, rendered by Chromium' {
    It 'shows a seeded rollout: summary numbers, one row per pulled node, sources, metrics with thresholds, decisions' {
        $Seed.Seeded | Should -Be 3
        $Ds.Available | Should -Be 6
        $path = Join-Path $TestDrive 'seed.html'
        $file = $Seed, $Ds | Export-ClydeRolloutReport -Path $path -PassThru
        $file | Should -BeOfType System.IO.FileInfo
        $file.FullName | Should -Be $path
        $file.Length | Should -BeGreaterThan 1000

        $dom = Get-RenderedDom $path
        $dom | Should -Match "<title>ClydePS rollout report: $([regex]::Escape($Image))</title>"
        $dom | Should -Match '<th>Seeded</th><td>3</td>'
        $dom | Should -Match '<th>Eligible nodes</th><td>6</td>'
        $dom | Should -Match "<th>DaemonSet</th><td>default/llm: 6/6 available in "
        $pulled = @($Seed.Pulls.Node | Sort-Object -Unique)
        $rows = [regex]::Matches($dom, '<g class="row" data-node="([^"]+)"') | ForEach-Object { $_.Groups[1].Value }
        @($rows | Sort-Object) | Should -Be $pulled
        foreach ($node in $pulled) { $dom | Should -Match ">$([regex]::Escape($node))</text>" }
        # The Lab says where the bytes came from: the first wave from the registry, later ones from peers.
        # The monitor finds the registry below 500 MB/s, so the policy doubles from peers instead of expanding from
        # the registry; the Lab records each seed pull's bytes by source, so the report knows where they came from.
        @($Seed.Pulls | Where-Object Wave -eq 1).Source | Should -Be 'Registry'
        @($Seed.Pulls | Where-Object Wave -eq 2 | ForEach-Object Source | Sort-Object -Unique) | Should -Be 'Peers'
        $sources = @($Seed.Pulls.Source | Sort-Object -Unique)
        $sources | Should -Be @('Peers', 'Registry')
        $dom | Should -Match '<th>Pulls from peers</th><td>2</td>'
        foreach ($source in $sources) { $dom | Should -Match "<rect class=`"bar`" data-source=`"$source`"" }
        foreach ($source in $sources) { $dom | Should -Match "<text[^>]*class=`"legend-label`"[^>]*>$source</text>" }
        $dom | Should -Match 'data-verdict="Unhealthy"'
        # The monitor's metrics with the threshold the run used, and the decisions table.
        $dom | Should -Match 'data-metric="Bandwidth"'
        $dom | Should -Match 'threshold \(minimum\) 500 MB/s'
        foreach ($d in $Seed.Decisions | Select-Object -First 5) {
            $dom | Should -Match ([regex]::Escape([System.Net.WebUtility]::HtmlEncode($d.Narrative)))
        }
        $dom | Should -Not -Match '<script'
    }

    It 'shows one timeline per strategy with the bounds, aggregated beyond the row limit' {
        $path = Join-Path $TestDrive 'forecast.html'
        $Forecasts | Export-ClydeRolloutReport -Path $path -Title 'Forecast <300 nodes>'
        $dom = Get-RenderedDom $path
        $dom | Should -Match '<title>Forecast &lt;300 nodes&gt;</title>'
        foreach ($f in $Forecasts) {
            $dom | Should -Match "<h2>Forecast: $($f.Strategy)</h2>"
            $dom | Should -Match "<td>$($f.Strategy)</td><td>300</td>"
        }
        ([regex]::Matches($dom, '<text[^>]*class="timeline-title"')).Count | Should -Be $Forecasts.Count
        # 300 nodes > 200 rows: 150 rows of 2 nodes per strategy.
        ([regex]::Matches($dom, '<g class="row" ')).Count | Should -Be (150 * $Forecasts.Count)
        $dom | Should -Match '300 nodes are more than the row limit of 200: each row aggregates up to 2 nodes'
        ([regex]::Matches($dom, '>piece bound ')).Count | Should -Be $Forecasts.Count
        ([regex]::Matches($dom, '>layer bound ')).Count | Should -Be $Forecasts.Count
        $dom | Should -Match 'data-source="Registry"'
        $dom | Should -Match 'data-source="Peers"'
    }

    It 'renders to a screenshot' {
        $path = Join-Path $TestDrive 'shot.html'
        $Seed, $Ds | Export-ClydeRolloutReport -Path $path
        $png = Join-Path $TestDrive 'shot.png'
        $profile = Join-Path $TestDrive 'chromium-shot'
        $null = & $Chromium --headless --disable-gpu --no-sandbox --no-first-run --user-data-dir=$profile --window-size=1100,1400 "--screenshot=$png" "file://$path" 2>$null
        $png | Should -Exist
        (Get-Item $png).Length | Should -BeGreaterThan 20000
    }
}

Describe 'Export-ClydeRolloutReport files' {
    It 'appends Markdown summaries (GITHUB_STEP_SUMMARY) and overwrites other formats like Out-File' {
        $md = Join-Path $TestDrive 'summary.md'
        Set-Content $md '# CI run'
        $Seed, $Ds | Export-ClydeRolloutReport -Path $md -Format Markdown -Append
        $Forecasts | Export-ClydeRolloutReport -Path $md -Format Markdown -Append
        $text = Get-Content -Raw $md
        $text | Should -Match '^# CI run'
        $text | Should -Match "\| $([regex]::Escape($Image)) \| Adaptive \| Private \| 6 \| 3 \| 3 \| 0 \| "
        $text | Should -Match '\| Doubling \| 300 \| 10 \| '
        ([regex]::Matches($text, '(?m)^### ')).Count | Should -Be 2

        $Forecasts | Export-ClydeRolloutReport -Path $md -Format Markdown
        (Get-Content -Raw $md) | Should -Not -Match 'CI run'
    }

    It '-NoClobber keeps an existing file, -WhatIf writes nothing' {
        $path = Join-Path $TestDrive 'kept.html'
        Set-Content $path 'keep me'
        { $Forecasts | Export-ClydeRolloutReport -Path $path -NoClobber -ErrorAction Stop } | Should -Throw -ErrorId 'ClydeReportFileExists*'
        Get-Content -Raw $path | Should -Match 'keep me'
        $Forecasts | Export-ClydeRolloutReport -Path $path -WhatIf
        Get-Content -Raw $path | Should -Match 'keep me'
        $new = Join-Path $TestDrive 'never.html'
        $Forecasts | Export-ClydeRolloutReport -Path $new -WhatIf
        $new | Should -Not -Exist
    }

    It 'writes the timelines alone as SVG' {
        $svg = Join-Path $TestDrive 't.svg'
        $Forecasts | Export-ClydeRolloutReport -Path $svg -Format Svg
        [xml] $doc = Get-Content -Raw $svg
        $doc.DocumentElement.LocalName | Should -Be 'svg'
        ([regex]::Matches((Get-Content -Raw $svg), 'class="timeline-title"')).Count | Should -Be $Forecasts.Count
    }

    It 'accepts the ClydeRolloutStatus of Wait-ClydeRollout as the DaemonSet' {
        $status = Wait-ClydeRollout -Kubeconfig $Lab.KubeconfigPath -Name llm -Timeout 1m
        $path = Join-Path $TestDrive 'status.md'
        $Seed, $status | Export-ClydeRolloutReport -Path $path -Format Markdown
        Get-Content -Raw $path | Should -Match '6/6 available'
    }

    It 'rejects bad input with a stable ErrorId before writing: <Case>' -ForEach @(
        @{ Case = 'not a report object'; Objects = { 'text' }; Params = @{}; ErrorId = 'ClydeReportInvalidInput' }
        @{ Case = 'a DaemonSet alone'; Objects = { $Ds }; Params = @{}; ErrorId = 'ClydeReportNoInput' }
        @{ Case = 'two seed results'; Objects = { $Seed, $Seed }; Params = @{}; ErrorId = 'ClydeReportTooManySeedResults' }
        @{ Case = '-Append with HTML'; Objects = { $Seed }; Params = @{ Append = $true }; ErrorId = 'ClydeReportAppendNeedsMarkdown' }
    ) {
        $path = Join-Path $TestDrive "bad-$([guid]::NewGuid().ToString('N')).html"
        $objects = & $Objects
        { $objects | Export-ClydeRolloutReport -Path $path @Params -ErrorAction Stop } | Should -Throw -ErrorId "$ErrorId*"
        $path | Should -Not -Exist
    }

    It 'rejects a missing folder' {
        { $Forecasts | Export-ClydeRolloutReport -Path (Join-Path $TestDrive 'no/such/report.html') -ErrorAction Stop } | Should -Throw -ErrorId 'ClydeReportFolderNotFound*'
    }
}
