# Invoke-ClydeSnapshot -DeployAgent on a Lab that runs the real agent entrypoint (a local pwsh per agent pod, with its own
# service-account kubeconfig and a host root laid out like a node): every output kind, RBAC reuse and drift repair, missing
# permissions, a failing agent (its log in the error), a timeout, Ctrl+C, two concurrent runs, node selector and tolerations
# on the Job, and bad input rejected before anything is created.
BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')

    $script:Lab = Start-ClydeLab -NodeCount 2
    $script:Kube = $script:Lab.KubeconfigPath
    $script:Headers = @{ Authorization = "Bearer $((Get-Content -Raw (Join-Path $script:Lab.StateDirectory 'token')).Trim())" }

    function Invoke-Lab([string] $Path, [string] $Method = 'Get', $Body, [hashtable] $Headers = $script:Headers) {
        $params = @{ Uri = "$($script:Lab.Url)$Path"; Method = $Method; Headers = $Headers }
        if ($null -ne $Body) { $params.ContentType = 'application/json'; $params.Body = ($Body | ConvertTo-Json -Depth 20 -Compress) }
        if ($script:Lab.Https) { $params.SkipCertificateCheck = $true }
        Invoke-RestMethod @params
    }
    function Get-AgentObject([string] $Kind) {
        $path = switch ($Kind) {
            'Job' { '/apis/batch/v1/namespaces/clyde/jobs' }
            'ConfigMap' { '/api/v1/namespaces/clyde/configmaps' }
            'Pod' { '/api/v1/namespaces/clyde/pods' }
        }
        @((Invoke-Lab "$($path)?labelSelector=clydeps.io%2Frole%3Dagent").items)
    }
    function Set-LabFault([hashtable] $Plan) { $null = Invoke-Lab '/clydelab/v1/faults' -Method Put -Body $Plan }
    function Get-CreateCount {
        $stats = Invoke-Lab '/clydelab/v1/stats'
        ($stats.requests | Where-Object { $_.verb -eq 'create' -and $_.resource -ne 'selfsubjectaccessreviews' } | Measure-Object count -Sum).Sum
    }
    # Waits for a condition (the Lab runs on its own; no wall-clock bounds on our code are asserted).
    function Wait-Until([scriptblock] $Condition, [int] $Seconds = 120) {
        $deadline = [DateTime]::UtcNow.AddSeconds($Seconds)
        while (-not (& $Condition)) {
            if ([DateTime]::UtcNow -gt $deadline) { throw "Condition not met within $Seconds s: $Condition" }
            Start-Sleep -Milliseconds 200
        }
    }
    function Start-Background([string] $Script) {
        $ps = [powershell]::Create()
        $null = $ps.AddScript("Import-Module '$env:CLYDEPS_MODULE'; $Script")
        [pscustomobject]@{ PowerShell = $ps; Async = $ps.BeginInvoke() }
    }

    $null = Invoke-Lab '/api/v1/namespaces' -Method Post -Body @{ apiVersion = 'v1'; kind = 'Namespace'; metadata = @{ name = 'clyde' } }
    $script:Nodes = @((Invoke-Lab '/api/v1/nodes').items)
    $script:NodeNames = @($script:Nodes.metadata.name)
}
AfterAll { if ($script:Lab) { $script:Lab | Stop-ClydeLab } }

Describe 'Invoke-ClydeSnapshot -DeployAgent on a Lab' {
    AfterEach { Set-LabFault @{} }

    It 'runs the agent on a node and emits its snapshot, streaming the agent log and cleaning up the Job' {
        $out = Invoke-ClydeSnapshot -DeployAgent -Kubeconfig $script:Kube -Verbose 4>&1
        $s = @($out | Where-Object { $_ -is [ClydePS.ClydeSnapshot] })
        $verbose = @($out | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message
        $s | Should -HaveCount 1
        $s[0].SourceNode | Should -BeIn $script:NodeNames
        $s[0].HostRoot | Should -Match '/hosts/'
        $s[0].OperatingSystem | Should -Be 'Ubuntu 22.04.5 LTS'
        $s[0].KernelVersion | Should -Be '6.8.0-1015-clydelab'
        $s[0].RegistryMirrors | Should -Be @("docker.io=$($script:Lab.Url)")
        $s[0].GpuCount | Should -Be 0
        $s[0].ModuleVersion | Should -Be (Get-Module ClydePS).Version.ToString()
        $node = $script:Nodes | Where-Object { $_.metadata.name -eq $s[0].SourceNode }
        $s[0].CpuCount | Should -Be ([int][math]::Ceiling([double]($node.status.capacity.cpu -replace 'm$', '') / ($(if ($node.status.capacity.cpu -match 'm$') { 1000 } else { 1 }))))
        $verbose | Should -Contain 'ServiceAccount clyde/clydeps-snapshot: created'
        $verbose | Should -Contain 'ClusterRoleBinding clydeps-snapshot-clyde-node-reader: created'
        ($verbose | Where-Object { $_ -like 'agent: ClydePS snapshot agent*' }) | Should -Not -BeNullOrEmpty
        ($verbose | Where-Object { $_ -like 'agent: *Snapshot written.*' }) | Should -Not -BeNullOrEmpty
        Get-AgentObject Job | Should -BeNullOrEmpty
        Get-AgentObject ConfigMap | Should -BeNullOrEmpty
        # The RBAC stays for the next run.
        (Invoke-Lab '/api/v1/namespaces/clyde/serviceaccounts/clydeps-snapshot').metadata.name | Should -Be 'clydeps-snapshot'
        (Invoke-Lab '/apis/rbac.authorization.k8s.io/v1/clusterroles/clydeps-snapshot-clyde-node-reader').rules.resources | Should -Contain 'nodes'
    }

    It 'runs a -Privileged agent in the host namespaces' {
        $s = Invoke-ClydeSnapshot -DeployAgent -Kubeconfig $script:Kube -Privileged -NodeSelector @{ 'kubernetes.io/hostname' = $script:NodeNames[0] }
        $s.SourceNode | Should -Be $script:NodeNames[0]
        $s.OperatingSystem | Should -Be 'Ubuntu 22.04.5 LTS'
        Get-AgentObject Job | Should -BeNullOrEmpty
    }

    It 'writes the snapshot to a file, its wait surviving watch streams that keep dropping' {
        Set-LabFault @{ watchCutAfterSeconds = 3 }
        $path = Join-Path $TestDrive 'agent.json'
        Invoke-ClydeSnapshot -DeployAgent -Kubeconfig $script:Kube -Output $path -WarningAction SilentlyContinue | Should -BeNullOrEmpty
        $doc = Get-Content -Raw $path | ConvertFrom-Json
        $doc.kind | Should -Be 'Snapshot'
        $doc.metadata.'source-node' | Should -BeIn $script:NodeNames
        Get-AgentObject ConfigMap | Should -BeNullOrEmpty
    }

    It 'writes the snapshot to the cm:// ConfigMap named, keeps it and removes the hand-back one' {
        $s = Invoke-ClydeSnapshot -DeployAgent -Kubeconfig $script:Kube -Output cm://default/agent-snapshot -PassThru
        $s.SourceNode | Should -BeIn $script:NodeNames
        $cm = Invoke-Lab '/api/v1/namespaces/default/configmaps/agent-snapshot'
        $cm.data.format | Should -Be 'yaml'
        $cm.data.'snapshot.yaml' | Should -Match "(?m)^  source-node: $($s.SourceNode)$"
        $cm.metadata.labels.'app.kubernetes.io/component' | Should -Be 'snapshot'
        $cm.metadata.labels.'clydeps.io/role' | Should -BeNullOrEmpty
        Get-AgentObject ConfigMap | Should -BeNullOrEmpty
        Get-AgentObject Job | Should -BeNullOrEmpty
    }

    It 'reuses right RBAC untouched and repairs drifted RBAC' {
        $rolePath = '/apis/rbac.authorization.k8s.io/v1/namespaces/clyde/roles/clydeps-snapshot'
        $before = (Invoke-Lab $rolePath).metadata.resourceVersion
        $verbose = @(Invoke-ClydeSnapshot -DeployAgent -Kubeconfig $script:Kube -Verbose 4>&1 | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message
        @($verbose | Where-Object { $_ -match ': unchanged$' }) | Should -HaveCount 5
        (Invoke-Lab $rolePath).metadata.resourceVersion | Should -Be $before

        # Someone narrows the Role: the next run puts the rules back.
        $role = Invoke-Lab $rolePath
        $role.rules = @($role.rules | Where-Object { $_.resources -notcontains 'configmaps' })
        $null = Invoke-Lab $rolePath -Method Put -Body $role
        (Invoke-Lab $rolePath).rules.resources | Should -Not -Contain 'configmaps'
        $verbose = @(Invoke-ClydeSnapshot -DeployAgent -Kubeconfig $script:Kube -Verbose 4>&1 | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message
        $verbose | Should -Contain 'Role clyde/clydeps-snapshot: updated'
        $verbose | Should -Contain 'ServiceAccount clyde/clydeps-snapshot: unchanged'
        (Invoke-Lab $rolePath).rules.resources | Should -Contain 'configmaps'
    }

    It 'fails with the missing permissions of a user who may not deploy the agent, before creating anything' {
        $user = Invoke-Lab '/clydelab/v1/tokens' -Method Post -Body @{ user = 'jane'; groups = @('developers') }
        # Jane may manage Jobs in clyde, nothing else.
        $null = Invoke-Lab '/apis/rbac.authorization.k8s.io/v1/namespaces/clyde/roles' -Method Post -Body @{
            apiVersion = 'rbac.authorization.k8s.io/v1'; kind = 'Role'; metadata = @{ name = 'jobs' }
            rules = @(@{ apiGroups = @('batch'); resources = @('jobs'); verbs = @('*') })
        }
        $null = Invoke-Lab '/apis/rbac.authorization.k8s.io/v1/namespaces/clyde/rolebindings' -Method Post -Body @{
            apiVersion = 'rbac.authorization.k8s.io/v1'; kind = 'RoleBinding'; metadata = @{ name = 'jobs-jane' }
            roleRef = @{ apiGroup = 'rbac.authorization.k8s.io'; kind = 'Role'; name = 'jobs' }
            subjects = @(@{ apiGroup = 'rbac.authorization.k8s.io'; kind = 'User'; name = 'jane' })
        }
        $kubeconfig = Join-Path $TestDrive 'jane.kubeconfig'
        (Get-Content -Raw $script:Kube) -replace '(?m)^(\s*token:\s*).*$', "`${1}$($user.token)" -replace '(?m)^\s*client-(certificate|key)-data:.*\r?\n', '' |
            Set-Content $kubeconfig
        $creates = Get-CreateCount
        $err = $null
        try { Invoke-ClydeSnapshot -DeployAgent -Kubeconfig $kubeconfig -ServiceAccountName jane-agent -ErrorAction Stop }
        catch { $err = $_ }
        Get-ErrorId $err | Should -Be 'ClydeSnapshotAgentForbidden'
        $err.CategoryInfo.Category | Should -Be 'PermissionDenied'
        $err.Exception.Message | Should -Match 'create serviceaccounts in namespace clyde'
        $err.Exception.Message | Should -Match 'create rbac.authorization.k8s.io/clusterrolebindings \(cluster-wide\)'
        $err.Exception.Message | Should -Match 'get pods/log in namespace clyde'
        $err.Exception.Message | Should -Not -Match 'batch/jobs'
        Get-CreateCount | Should -Be $creates
        { Invoke-Lab '/api/v1/namespaces/clyde/serviceaccounts/jane-agent' } | Should -Throw
    }

    It 'fails when the agent fails, with its log and exit code in the error, and cleans up' {
        # The agent cannot write its ConfigMap: the API answers its updates with errors until it gives up.
        Set-LabFault @{ api = @(@{ verb = 'update'; resource = 'configmaps'; namespace = 'clyde'; code = 500; count = 1000 }) }
        $err = $null
        try { Invoke-ClydeSnapshot -DeployAgent -Kubeconfig $script:Kube -ErrorAction Stop }
        catch { $err = $_ }
        Get-ErrorId $err | Should -Be 'ClydeSnapshotAgentFailed'
        $err.Exception.Message | Should -Match 'terminated, reason Error, exit code 1'
        $err.Exception.Message | Should -Match 'Agent log \(last \d+ lines\):'
        $err.Exception.Message | Should -Match 'Snapshot agent failed'
        Get-AgentObject Job | Should -BeNullOrEmpty
        Get-AgentObject ConfigMap | Should -BeNullOrEmpty
    }

    It 'reports the exit code of an agent container that fails' {
        Set-LabFault @{ pods = @(@{ namespace = 'clyde'; pod = 'clydeps-snapshot-*'; mode = 'Fail'; exitCode = 3 }) }
        { Invoke-ClydeSnapshot -DeployAgent -Kubeconfig $script:Kube -ErrorAction Stop } |
            Should -Throw -ExpectedMessage '*exit code 3*' -ErrorId 'ClydeSnapshotAgentFailed*'
        Get-AgentObject Job | Should -BeNullOrEmpty
    }

    It 'times out on an agent that hangs, saying so, and cleans up' {
        Set-LabFault @{ pods = @(@{ namespace = 'clyde'; pod = 'clydeps-snapshot-*'; mode = 'Hang' }) }
        $err = $null
        try { Invoke-ClydeSnapshot -DeployAgent -Kubeconfig $script:Kube -Timeout 5s -ErrorAction Stop }
        catch { $err = $_ }
        Get-ErrorId $err | Should -Be 'ClydeSnapshotAgentTimeout'
        $err.CategoryInfo.Category | Should -Be 'OperationTimeout'
        $err.Exception.Message | Should -Match 'still running'
        Wait-Until { @(Get-AgentObject Job).Count -eq 0 -and @(Get-AgentObject ConfigMap).Count -eq 0 }
    }

    It 'times out on an agent image that cannot be pulled, naming the pull failure' {
        Set-LabFault @{ pulls = @(@{ image = 'ghcr.io/clydeps/clydeps-snapshot-agent'; rate = 1; message = 'rpc error: code = NotFound desc = not found' }) }
        $err = $null
        try { Invoke-ClydeSnapshot -DeployAgent -Kubeconfig $script:Kube -ImagePullPolicy Always -Timeout 8s -ErrorAction Stop }
        catch { $err = $_ }
        Get-ErrorId $err | Should -Be 'ClydeSnapshotAgentTimeout'
        $err.Exception.Message | Should -Match 'waiting, reason (ErrImagePull|ImagePullBackOff)'
        $err.Exception.Message | Should -Match 'The agent wrote no log'
        Wait-Until { @(Get-AgentObject Job).Count -eq 0 }
    }

    It 'puts -NodeSelector, -Toleration and the unprivileged pod on the Job, and cleans up on Ctrl+C' {
        Set-LabFault @{ pods = @(@{ namespace = 'clyde'; pod = 'clydeps-snapshot-*'; mode = 'Hang' }) }
        $target = $script:NodeNames[1]
        $run = Start-Background "Invoke-ClydeSnapshot -DeployAgent -Kubeconfig '$($script:Kube)' -NodeSelector 'kubernetes.io/hostname=$target' -Toleration 'dedicated=snap:NoSchedule', 'gpu:NoExecute'"
        try {
            Wait-Until {
                $jobs = @(Get-AgentObject Job)
                $jobs.Count -eq 1 -and @(Get-AgentObject Pod | Where-Object { $_.metadata.labels.'job-name' -eq $jobs[0].metadata.name -and $_.status.phase -eq 'Running' }).Count -eq 1
            }
            $job = @(Get-AgentObject Job)
            $job | Should -HaveCount 1
            $spec = $job[0].spec.template.spec
            $spec.nodeSelector.'kubernetes.io/hostname' | Should -Be $target
            ($spec.tolerations | Where-Object { $_.key -eq 'dedicated' }).operator | Should -Be 'Equal'
            ($spec.tolerations | Where-Object { $_.key -eq 'dedicated' }).effect | Should -Be 'NoSchedule'
            ($spec.tolerations | Where-Object { $_.key -eq 'gpu' }).operator | Should -Be 'Exists'
            $spec.hostPID | Should -Not -BeTrue
            $spec.containers[0].securityContext.readOnlyRootFilesystem | Should -BeTrue
            $spec.containers[0].securityContext.runAsNonRoot | Should -BeTrue
            $spec.containers[0].securityContext.capabilities.drop | Should -Be @('ALL')
            ($spec.containers[0].volumeMounts | Where-Object { $_.mountPath -eq '/host' }).readOnly | Should -BeTrue
            # This run's pod (a pod of an earlier run may still be terminating elsewhere).
            @(Get-AgentObject Pod | Where-Object { $_.metadata.labels.'job-name' -eq $job[0].metadata.name }).spec.nodeName | Should -Be $target

            $run.PowerShell.Stop()
            $run.Async.IsCompleted | Should -BeTrue
            Get-AgentObject Job | Should -BeNullOrEmpty
            Get-AgentObject ConfigMap | Should -BeNullOrEmpty
        }
        finally { $run.PowerShell.Dispose() }
    }

    It 'runs two snapshots at once without collisions' {
        $runs = @(1, 2) | ForEach-Object { Start-Background "Invoke-ClydeSnapshot -DeployAgent -Kubeconfig '$($script:Kube)' -Verbose 4>&1" }
        try {
            $results = foreach ($r in $runs) {
                $out = $r.PowerShell.EndInvoke($r.Async)
                $r.PowerShell.Streams.Error | Should -BeNullOrEmpty
                [pscustomobject]@{
                    Snapshot = @($out | Where-Object { $_ -is [ClydePS.ClydeSnapshot] })
                    Job      = @($out | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] -and $_.Message -like 'Created Job *' }).Message
                }
            }
            $results[0].Snapshot | Should -HaveCount 1
            $results[1].Snapshot | Should -HaveCount 1
            $results[0].Job | Should -Not -Be $results[1].Job
        }
        finally { $runs | ForEach-Object { $_.PowerShell.Dispose() } }
        Get-AgentObject Job | Should -BeNullOrEmpty
        Get-AgentObject ConfigMap | Should -BeNullOrEmpty
    }

    It 'leaves a hand-back ConfigMap it cannot delete to Remove-ClydeLeftover, saying so' {
        Set-LabFault @{ api = @(@{ verb = 'delete'; resource = 'configmaps'; namespace = 'clyde'; code = 500; count = 1000 }) }
        $out = Invoke-ClydeSnapshot -DeployAgent -Kubeconfig $script:Kube -Verbose -WarningAction SilentlyContinue 4>&1
        @($out | Where-Object { $_ -is [ClydePS.ClydeSnapshot] }) | Should -HaveCount 1
        $verbose = @($out | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message
        $run = ($verbose | Where-Object { $_ -match '^Created Job .*, run (\w+)' } | Select-Object -First 1) -replace '^.*, run (\w+).*$', '$1'
        $run | Should -Not -BeNullOrEmpty
        ($verbose | Where-Object { $_ -like "Could not delete ConfigMap clyde/clydeps-snapshot-$run*Remove-ClydeLeftover -Run $run*" }) | Should -Not -BeNullOrEmpty
        Get-AgentObject Job | Should -BeNullOrEmpty
        @(Get-AgentObject ConfigMap).metadata.name | Should -Be @("clydeps-snapshot-$run")

        Set-LabFault @{}
        $removed = @(Remove-ClydeLeftover -Kubeconfig $script:Kube -Run $run -Confirm:$false)
        $removed | Should -HaveCount 1
        $removed[0].Kind | Should -Be 'ConfigMap'
        $removed[0].Role | Should -Be 'agent'
        $removed[0].Action | Should -Be 'Deleted'
        Get-AgentObject ConfigMap | Should -BeNullOrEmpty
    }

    It 'recreates a Job that has the -JobName given' {
        $old = Invoke-Lab '/apis/batch/v1/namespaces/clyde/jobs' -Method Post -Body @{
            apiVersion = 'batch/v1'; kind = 'Job'; metadata = @{ name = 'node-snap' }
            spec = @{ template = @{ spec = @{ restartPolicy = 'Never'; containers = @(@{ name = 'old'; image = 'busybox:1.36'; command = @('true') }) } } }
        }
        Wait-Until { (Invoke-Lab '/apis/batch/v1/namespaces/clyde/jobs/node-snap').status.succeeded -eq 1 }
        $out = Invoke-ClydeSnapshot -DeployAgent -Kubeconfig $script:Kube -JobName node-snap -Verbose 4>&1
        @($out | Where-Object { $_ -is [ClydePS.ClydeSnapshot] }) | Should -HaveCount 1
        $verbose = @($out | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message
        $verbose | Should -Contain 'Deleted the existing Job clyde/node-snap; waiting until it is gone.'
        ($verbose | Where-Object { $_ -like 'Created Job clyde/node-snap *' }) | Should -Not -BeNullOrEmpty
        { Invoke-Lab '/apis/batch/v1/namespaces/clyde/jobs/node-snap' } | Should -Throw
        $old.metadata.uid | Should -Not -BeNullOrEmpty
    }

    It 'deletes its RBAC with -CleanupRbac' {
        $null = Invoke-ClydeSnapshot -DeployAgent -Kubeconfig $script:Kube -ServiceAccountName temp-agent -CleanupRbac
        { Invoke-Lab '/api/v1/namespaces/clyde/serviceaccounts/temp-agent' } | Should -Throw
        { Invoke-Lab '/apis/rbac.authorization.k8s.io/v1/clusterroles/temp-agent-clyde-node-reader' } | Should -Throw
        { Invoke-Lab '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/temp-agent-clyde-node-reader' } | Should -Throw
    }

    It 'rejects <Case> before anything is created' -ForEach @(
        @{ Case = 'cm://ns'; Extra = @{ Output = 'cm://clyde' }; ErrorId = 'ClydeSnapshotInvalidConfigMapUri' }
        @{ Case = 'a bad toleration effect'; Extra = @{ Toleration = 'key=value:BadEffect' }; ErrorId = 'ClydeInvalidToleration' }
        @{ Case = 'a negative timeout'; Extra = @{ Timeout = -5 }; ErrorId = 'ParameterArgumentTransformationError' }
        @{ Case = 'a zero timeout'; Extra = @{ Timeout = 0 }; ErrorId = 'ClydeInvalidTimeout' }
        @{ Case = 'a bad node selector'; Extra = @{ NodeSelector = 'no-equals-sign' }; ErrorId = 'ClydeInvalidNodeSelector' }
        @{ Case = 'a bad job name'; Extra = @{ JobName = 'Bad_Name' }; ErrorId = 'ClydeSnapshotInvalidName' }
        @{ Case = 'a bad memory request'; Extra = @{ MemoryRequest = 'lots' }; ErrorId = 'ClydeSnapshotInvalidResource' }
        @{ Case = 'a missing namespace'; Extra = @{ Namespace = 'nowhere' }; ErrorId = 'ClydeNamespaceNotFound' }
    ) {
        $creates = Get-CreateCount
        $err = $null
        try { Invoke-ClydeSnapshot -DeployAgent -Kubeconfig $script:Kube @Extra -ErrorAction Stop }
        catch { $err = $_ }
        Get-ErrorId $err | Should -Be $ErrorId
        Get-CreateCount | Should -Be $creates
    }

    It 'creates nothing with -WhatIf' {
        $creates = Get-CreateCount
        Invoke-ClydeSnapshot -DeployAgent -Kubeconfig $script:Kube -WhatIf | Should -BeNullOrEmpty
        Get-CreateCount | Should -Be $creates
    }
}

Describe 'Invoke-ClydeSnapshot -DeployAgent on a Lab that enforces RBAC' {
    BeforeAll {
        $script:RbacLab = Start-ClydeLab -NodeCount 1 -EnforceRbac
        $script:RbacHeaders = @{ Authorization = "Bearer $((Get-Content -Raw (Join-Path $script:RbacLab.StateDirectory 'token')).Trim())" }
        function Invoke-RbacLab([string] $Path, [string] $Method = 'Get', $Body, [hashtable] $Headers = $script:RbacHeaders) {
            $params = @{ Uri = "$($script:RbacLab.Url)$Path"; Method = $Method; Headers = $Headers }
            if ($null -ne $Body) { $params.ContentType = 'application/json'; $params.Body = ($Body | ConvertTo-Json -Depth 20 -Compress) }
            Invoke-RestMethod @params
        }
        $null = Invoke-RbacLab '/api/v1/namespaces' -Method Post -Body @{ apiVersion = 'v1'; kind = 'Namespace'; metadata = @{ name = 'clyde' } }

        # A user granted exactly what the cmdlet's permission check asks for, and nothing else.
        $user = Invoke-RbacLab '/clydelab/v1/tokens' -Method Post -Body @{ user = 'operator'; groups = @() }
        $manage = @('get', 'create', 'update')
        $null = Invoke-RbacLab '/apis/rbac.authorization.k8s.io/v1/clusterroles' -Method Post -Body @{
            apiVersion = 'rbac.authorization.k8s.io/v1'; kind = 'ClusterRole'; metadata = @{ name = 'snapshot-operator' }
            rules = @(
                @{ apiGroups = @(''); resources = @('serviceaccounts'); verbs = $manage }
                @{ apiGroups = @('rbac.authorization.k8s.io'); resources = @('roles', 'rolebindings', 'clusterroles', 'clusterrolebindings'); verbs = $manage }
                @{ apiGroups = @('batch'); resources = @('jobs'); verbs = @('get', 'list', 'watch', 'create', 'delete') }
                @{ apiGroups = @(''); resources = @('pods'); verbs = @('get', 'list', 'watch') }
                @{ apiGroups = @(''); resources = @('pods/log'); verbs = @('get') }
                @{ apiGroups = @(''); resources = @('configmaps'); verbs = @('get', 'create', 'update', 'patch', 'delete') }
                @{ apiGroups = @(''); resources = @('nodes'); verbs = @('get', 'list') }
                # A real cluster grants this to every authenticated user (system:basic-user); the Lab has no default roles.
                @{ apiGroups = @('authorization.k8s.io'); resources = @('selfsubjectaccessreviews'); verbs = @('create') }
            )
        }
        $null = Invoke-RbacLab '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings' -Method Post -Body @{
            apiVersion = 'rbac.authorization.k8s.io/v1'; kind = 'ClusterRoleBinding'; metadata = @{ name = 'snapshot-operator' }
            roleRef = @{ apiGroup = 'rbac.authorization.k8s.io'; kind = 'ClusterRole'; name = 'snapshot-operator' }
            subjects = @(@{ apiGroup = 'rbac.authorization.k8s.io'; kind = 'User'; name = 'operator' })
        }
        $script:OperatorKube = Join-Path $TestDrive 'operator.kubeconfig'
        (Get-Content -Raw $script:RbacLab.KubeconfigPath) -replace '(?m)^(\s*token:\s*).*$', "`${1}$($user.token)" -replace '(?m)^\s*client-(certificate|key)-data:.*\r?\n', '' |
            Set-Content $script:OperatorKube
    }
    AfterAll { if ($script:RbacLab) { $script:RbacLab | Stop-ClydeLab } }

    It 'works for a user holding exactly the permissions it checks, with the agent writing under its own service account' {
        $out = Invoke-ClydeSnapshot -DeployAgent -Kubeconfig $script:OperatorKube -Verbose 4>&1
        $s = @($out | Where-Object { $_ -is [ClydePS.ClydeSnapshot] })
        $s | Should -HaveCount 1
        $s[0].SourceNode | Should -Not -BeNullOrEmpty
        @($out | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] -and $_.Message -like 'agent: *ConfigMap clyde/clydeps-snapshot-* updated.' }) |
            Should -HaveCount 1
        @((Invoke-RbacLab '/apis/batch/v1/namespaces/clyde/jobs').items) | Should -BeNullOrEmpty
    }
}
