BeforeAll {
    . $PSScriptRoot/Common.ps1
    $script:lab = Start-ClydeLab -NodeCount 3 -PublicRatio 0.34 -Seed 11
    $script:token = (Get-Content -Raw (Join-Path $lab.StateDirectory 'token')).Trim()
    # An HTTPS Lab refuses requests without credentials, so the credential tests prove the credential was used.
    $script:tls = Start-ClydeLab -NodeCount 3 -Https
    $script:tlsToken = (Get-Content -Raw (Join-Path $tls.StateDirectory 'token')).Trim()
    $script:tlsCa = [regex]::Match((Get-Content -Raw $tls.KubeconfigPath), 'certificate-authority-data:\s*(\S+)').Groups[1].Value

    function New-Kubeconfig([string] $Path, [string] $UserYaml, [string] $Server = $tls.Url, [string] $Context = 'test') {
        $ca = if ($Server -like 'https:*') { "`n    certificate-authority-data: $tlsCa" } else { '' }
        @"
apiVersion: v1
kind: Config
clusters:
- name: lab
  cluster:
    server: $Server$ca
users:
- name: u
  user:
$UserYaml
contexts:
- name: $Context
  context:
    cluster: lab
    user: u
    namespace: team-a
current-context: $Context
"@ | Set-Content -Path $Path
        return $Path
    }
}

AfterAll {
    $lab, $tls | Stop-ClydeLab
}

Describe 'Kubeconfig resolution and credentials' {
    It 'uses $env:KUBECONFIG when -Kubeconfig is absent, merging every file in it' {
        $a = New-Kubeconfig (Join-Path $TestDrive 'a.yaml') "    token: $tlsToken" -Context 'first'
        $b = New-Kubeconfig (Join-Path $TestDrive 'b.yaml') "    token: $tlsToken" -Context 'second'
        $saved = $env:KUBECONFIG
        try {
            $env:KUBECONFIG = $a + [IO.Path]::PathSeparator + $b
            @(Get-ClydeNodeNetwork).Count | Should -Be 3
            # The second file's context is reachable because the files are merged; first file's current-context wins.
            @(Get-ClydeNodeNetwork -Context second).Count | Should -Be 3
            (Get-ClydeNodeNetwork | Select-Object -First 1).Context | Should -Be 'first'
        }
        finally { $env:KUBECONFIG = $saved }
    }

    It 'authenticates with a bearer token' {
        $k = New-Kubeconfig (Join-Path $TestDrive 'token.yaml') "    token: $tlsToken"
        @(Get-ClydeNodeNetwork -Kubeconfig $k).Count | Should -Be 3
    }

    It 'authenticates through an exec credential plugin' -Skip:(-not ($IsLinux -or $IsMacOS)) {
        $plugin = Join-Path $TestDrive 'cred-plugin.sh'
        @"
#!/bin/sh
printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"%s"}}' '$tlsToken'
"@ | Set-Content -Path $plugin
        chmod +x $plugin
        $user = @"
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: $plugin
      interactiveMode: Never
"@
        $k = New-Kubeconfig (Join-Path $TestDrive 'exec.yaml') $user
        @(Get-ClydeNodeNetwork -Kubeconfig $k).Count | Should -Be 3
    }

    It 'authenticates with a client certificate over HTTPS, and with a token on the same Lab' {
        $tls.Url | Should -BeLike 'https://*'
        @(Get-ClydeNodeNetwork -Kubeconfig $tls.KubeconfigPath).Count | Should -Be 3
        @(Get-ClydeNodeNetwork -Kubeconfig $tls.KubeconfigPath -Context clyde-lab-token).Count | Should -Be 3
    }

    It 'is refused without credentials by an HTTPS Lab' {
        $k = New-Kubeconfig (Join-Path $TestDrive 'none.yaml') '    {}'
        $err = { Get-ClydeNodeNetwork -Kubeconfig $k } | Should -Throw -PassThru
        Get-ErrorId $err | Should -Be 'ClydeApiUnauthorized'
    }

    It 'rejects a server certificate from an unknown CA' {
        $k = Join-Path $TestDrive 'wrongca.yaml'
        (Get-Content -Raw (New-Kubeconfig (Join-Path $TestDrive 'tmp.yaml') "    token: $tlsToken")) -replace 'certificate-authority-data: \S+', 'insecure-skip-tls-verify: false' | Set-Content $k
        $err = { Get-ClydeNodeNetwork -Kubeconfig $k } | Should -Throw -PassThru
        Get-ErrorId $err | Should -Be 'ClydeApiTlsFailed'
    }

    It 'fails with ClydeApiUnauthorized for a wrong token, without printing the token' {
        $secret = 'not-the-right-token-0123456789'
        $k = New-Kubeconfig (Join-Path $TestDrive 'bad.yaml') "    token: $secret"
        $err = { Get-ClydeNodeNetwork -Kubeconfig $k } | Should -Throw -PassThru
        Get-ErrorId $err | Should -Be 'ClydeApiUnauthorized'
        $err.CategoryInfo.Category | Should -Be 'AuthenticationError'
        ($err | Out-String) + $err.Exception.ToString() | Should -Not -Match $secret
    }
}

Describe 'Bad input is a clear error with a stable ErrorId' {
    It 'an unknown context lists the known ones' {
        $err = { Get-ClydeNodeNetwork -Kubeconfig $lab.KubeconfigPath -Context nope } | Should -Throw -PassThru
        Get-ErrorId $err | Should -Be 'ClydeContextNotFound'
        $err.Exception.Message | Should -Match 'clyde-lab'
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
    }

    It 'a missing kubeconfig file is ClydeKubeconfigNotFound' {
        $err = { Get-ClydeNodeNetwork -Kubeconfig (Join-Path $TestDrive 'nope.yaml') } | Should -Throw -PassThru
        Get-ErrorId $err | Should -Be 'ClydeKubeconfigNotFound'
    }

    It 'a malformed kubeconfig is ClydeKubeconfigInvalid naming the file' {
        $bad = Join-Path $TestDrive 'malformed.yaml'
        "apiVersion: v1`nclusters: [ {name: x, cluster: {server: 'http://x'`n  users: ::: token: s3cr3t-value" | Set-Content $bad
        $err = { Get-ClydeNodeNetwork -Kubeconfig $bad } | Should -Throw -PassThru
        Get-ErrorId $err | Should -Be 'ClydeKubeconfigInvalid'
        $err.Exception.Message | Should -Match 'malformed\.yaml'
        $err.Exception.Message | Should -Not -Match 's3cr3t-value'
    }

    It 'an unreachable API server is a connection error, not a crash' {
        $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
        $listener.Start(); $port = $listener.LocalEndpoint.Port; $listener.Stop()
        $k = New-Kubeconfig (Join-Path $TestDrive 'down.yaml') "    token: $tlsToken" -Server "http://127.0.0.1:$port"
        $err = { Get-ClydeNodeNetwork -Kubeconfig $k } | Should -Throw -PassThru
        $err.CategoryInfo.Category | Should -Be 'ConnectionError'
        Get-ErrorId $err | Should -BeLike 'ClydeApi*'
    }
}

Describe 'Module isolation and type names' {
    It 'works after another module loaded a conflicting YamlDotNet' {
        $yaml13 = Join-Path $env:CLYDEPS_NUGET_ROOT 'yamldotnet/13.7.1/lib/net7.0/YamlDotNet.dll'
        Test-Path $yaml13 | Should -BeTrue -Because 'tests/pester/Pester.proj restores YamlDotNet 13.7.1'
        $pwsh = Get-PwshPath
        $script = @"
`$ErrorActionPreference = 'Stop'
Add-Type -Path '$yaml13'
Import-Module '$env:CLYDEPS_MODULE'
`$n = @(Get-ClydeNodeNetwork -Kubeconfig '$($lab.KubeconfigPath)')
# Both copies live side by side: the session's 13 in the default context, ClydePS's 18 in its own.
`$loaded = [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { `$_.GetName().Name -eq 'YamlDotNet' } | ForEach-Object { `$_.GetName().Version.Major } | Sort-Object
"{0}|{1}|{2}" -f (`$loaded -join ','), `$n.Count, (`$n[0] -is [ClydePS.ClydeNode])
"@
        $out = & $pwsh -NoProfile -NonInteractive -Command $script 2>&1 | Select-Object -Last 1
        $out | Should -Be '13,18|3|True'
    }

    It 'output types can be named in scripts' {
        [ClydePS.ClydeNode] | Should -Not -BeNullOrEmpty
        [ClydePS.ClydeClusterNetwork].FullName | Should -Be 'ClydePS.ClydeClusterNetwork'
        'ClydePS.ClydeLab' -as [type] | Should -Be ([ClydePS.ClydeLab])
        Get-ClydeNodeNetwork -Kubeconfig $lab.KubeconfigPath | Should -BeOfType ClydePS.ClydeNode
    }
}

Describe 'Tab completion' {
    It 'completes contexts from the kubeconfig on the command line' {
        $line = "Get-ClydeNodeNetwork -Kubeconfig '$($lab.KubeconfigPath)' -Context clyde"
        $r = TabExpansion2 -inputScript $line -cursorColumn $line.Length
        $r.CompletionMatches.CompletionText | Should -Contain 'clyde-lab'
    }

    It 'completes node names from the cluster' {
        $names = (Get-ClydeNodeNetwork -Kubeconfig $lab.KubeconfigPath).Name
        $line = "Get-ClydeNodeNetwork -Kubeconfig '$($lab.KubeconfigPath)' -Name "
        $r = TabExpansion2 -inputScript $line -cursorColumn $line.Length
        $r.CompletionMatches.CompletionText | Should -Be $names
    }
}

Describe 'Cancellation' {
    It 'Ctrl+C (Stop) ends a call to an API server that never answers' {
        # A server that accepts connections and never replies: the request would hang until the client timeout.
        $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
        $listener.Start()
        try {
            $k = New-Kubeconfig (Join-Path $TestDrive 'hang.yaml') "    token: $tlsToken" -Server "http://127.0.0.1:$($listener.LocalEndpoint.Port)"
            $ps = [powershell]::Create()
            $null = $ps.AddScript("Import-Module '$env:CLYDEPS_MODULE'; Get-ClydeNodeNetwork -Kubeconfig '$k'")
            $async = $ps.BeginInvoke()
            # Wait until the request is really in flight before stopping it.
            $deadline = [DateTime]::UtcNow.AddSeconds(30)
            while (-not $listener.Pending() -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 50 }
            $listener.Pending() | Should -BeTrue
            $ps.Stop()
            $ps.InvocationStateInfo.State | Should -Be 'Stopped'
            $stopped = $null
            try { $ps.EndInvoke($async) } catch { $stopped = $_.Exception.InnerException }
            $stopped | Should -BeOfType ([System.Management.Automation.PipelineStoppedException])
            $ps.Dispose()
        }
        finally { $listener.Stop() }
    }
}
