#Requires -Version 7.4
# Help content: every exported cmdlet has real help (from docs/cmdlets/*.md, converted to MAML by
# docs/tools/ConvertTo-ClydeMaml.ps1 at build time), and the converter itself behaves.
# The test runner sets $env:CLYDEPS_MODULE to the assembled module's psd1.

BeforeDiscovery {
    $repoRoot = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
    $docsRoot = Join-Path $repoRoot 'docs'
    $commonParameters = [System.Management.Automation.Cmdlet]::CommonParameters

    $cmdletCases = @()
    $docCases = @()
    if ($env:CLYDEPS_MODULE -and (Test-Path -LiteralPath $env:CLYDEPS_MODULE)) {
        Import-Module $env:CLYDEPS_MODULE -Force -ErrorAction Stop
        $module = Get-Module ClydePS
        $exported = @($module.ExportedCmdlets.Keys | Sort-Object)
        $cmdletCases = foreach ($name in $exported) {
            $help = Get-Help $name -Full
            $i = 0
            $examples = @(foreach ($example in @($help.examples.example | Where-Object { $_ })) {
                    $i++
                    @{ Index = $i; Code = [string]$example.code; Title = [string]$example.title }
                })
            @{
                Name       = $name
                Parameters = @((Get-Command $name).Parameters.Keys | Where-Object { $_ -notin $commonParameters } | Sort-Object |
                        ForEach-Object { @{ Parameter = $_ } })
                Examples   = $examples
            }
        }
        $docCases = @(Get-ChildItem -LiteralPath (Join-Path $docsRoot 'cmdlets') -Filter '*.md' -File | Sort-Object Name |
                ForEach-Object { @{ Doc = $_.Name; Cmdlet = $_.BaseName; Exported = $exported } })
    }
}

BeforeAll {
    $repoRoot = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
    $docsRoot = Join-Path $repoRoot 'docs'
    $converter = Join-Path $docsRoot 'tools/ConvertTo-ClydeMaml.ps1'
    if ($env:CLYDEPS_MODULE -and (Test-Path -LiteralPath $env:CLYDEPS_MODULE)) {
        Import-Module $env:CLYDEPS_MODULE -ErrorAction Stop
    }
}

Describe 'ClydePS help' {
    It 'the test runner names the assembled module in $env:CLYDEPS_MODULE' {
        $env:CLYDEPS_MODULE | Should -Not -BeNullOrEmpty -Because 'the runner must set it to the assembled ClydePS.psd1'
        Test-Path -LiteralPath $env:CLYDEPS_MODULE | Should -BeTrue
        Get-Module ClydePS | Should -Not -BeNullOrEmpty
        @((Get-Module ClydePS).ExportedCmdlets.Keys).Count | Should -BeGreaterThan 0
    }

    It 'ships the MAML help beside the cmdlet assembly' {
        $module = Get-Module ClydePS
        Join-Path $module.ModuleBase 'en-US/ClydePS.dll-Help.xml' | Should -Exist
    }

    It 'finds about_ClydePS with Get-Help' {
        $about = Get-Help about_ClydePS -ErrorAction Stop | Out-String
        $about | Should -Match 'about_ClydePS'
        $about | Should -Match 'SHORT DESCRIPTION'
        $about | Should -Match 'Get-ClydeNodeNetwork'
    }

    Context '<Name>' -ForEach $cmdletCases {
        BeforeAll {
            $help = Get-Help $Name -Full
        }

        It 'has a docs/cmdlets/<Name>.md' {
            Join-Path $docsRoot "cmdlets/$Name.md" | Should -Exist
        }

        It 'has a real synopsis' {
            $synopsis = "$($help.Synopsis)".Trim()
            $synopsis | Should -Not -BeNullOrEmpty
            $synopsis | Should -Not -Be $Name
            # Without help, Get-Help makes the synopsis from the syntax line: 'Verb-Noun [-Param] <type> ...'.
            $synopsis | Should -Not -Match ('^' + [regex]::Escape($Name) + '(\s|$)')
            $synopsis | Should -Not -Match '\{\{'
        }

        It 'has a description' {
            $description = (@($help.description | ForEach-Object Text) -join "`n").Trim()
            $description | Should -Not -BeNullOrEmpty
            $description | Should -Not -Match '\{\{'
        }

        It 'describes -<Parameter>' -ForEach $Parameters {
            $entry = @($help.parameters.parameter | Where-Object name -eq $Parameter)
            $entry.Count | Should -Be 1 -Because "-$Parameter must have exactly one entry under ## PARAMETERS"
            $text = (@($entry[0].description | ForEach-Object Text) -join "`n").Trim()
            $text | Should -Not -BeNullOrEmpty
            $text | Should -Not -Match '\{\{'
        }

        It 'documents only parameters the cmdlet has' {
            $actual = (Get-Command $Name).Parameters.Keys
            $documented = @($help.parameters.parameter | ForEach-Object name)
            $documented | Where-Object { $_ -notin $actual } | Should -BeNullOrEmpty
        }

        It 'has at least two examples' {
            @($help.examples.example | Where-Object { $_ }).Count | Should -BeGreaterOrEqual 2
        }

        It 'example <Index> parses' -ForEach $Examples {
            $Code.Trim() | Should -Not -BeNullOrEmpty
            $tokens = $null
            $errors = $null
            $null = [System.Management.Automation.Language.Parser]::ParseInput($Code, [ref]$tokens, [ref]$errors)
            ($errors | ForEach-Object { "line $($_.Extent.StartLineNumber): $($_.Message)" }) -join '; ' |
                Should -BeNullOrEmpty -Because "example '$Title' must be valid PowerShell"
        }

        It 'example <Index> uses only exported ClydePS cmdlets' -ForEach $Examples {
            $ast = [System.Management.Automation.Language.Parser]::ParseInput($Code, [ref]$null, [ref]$null)
            $exported = (Get-Module ClydePS).ExportedCmdlets.Keys
            $names = $ast.FindAll({ param($n) $n -is [System.Management.Automation.Language.CommandAst] }, $true) |
                ForEach-Object { $_.GetCommandName() } | Where-Object { $_ -like '*-Clyde*' }
            $names | Where-Object { $_ -notin $exported } | Should -BeNullOrEmpty
        }
    }

    It 'has no doc for a cmdlet that is not exported: <Doc>' -ForEach $docCases {
        $Exported | Should -Contain $Cmdlet
    }
}

Describe 'ConvertTo-ClydeMaml' {
    BeforeAll {
        function New-TestDocs {
            # A docs folder in $TestDrive with one cmdlet doc and one about topic; $Edit changes the cmdlet doc's text.
            param([string] $Folder, [string] $CmdletName = 'Get-ClydeWidget', [scriptblock] $Edit = { $args[0] })
            $docs = Join-Path $TestDrive $Folder
            $null = New-Item -ItemType Directory -Path (Join-Path $docs 'cmdlets') -Force
            $doc = @'
---
external help file: ClydePS.dll-Help.xml
Module Name: ClydePS
online version: https://example.test/widget
schema: 2.0.0
---

# THE-CMDLET

## SYNOPSIS
Gets widgets & their <sizes>.

## SYNTAX

### ByName (Default)
```
THE-CMDLET [[-Name] <String[]>] [-Fast] [<CommonParameters>]
```

### ById
```
THE-CMDLET -Id <Int32> [-Fast] [<CommonParameters>]
```

## DESCRIPTION
The first paragraph,
joined into one line.

- a list item
- another "quoted" item

## EXAMPLES

### Example 1: Get all widgets
```powershell
THE-CMDLET | Where-Object { $_.Size -lt 5 -and $_.Name -ne '&' }
```

```output
Name  Size
```

Gets every widget smaller than 5.

### Example 2: Get one widget
```powershell
THE-CMDLET -Id 7
```

## PARAMETERS

### -Name
Widget names. Wildcards are allowed.

```yaml
Type: String[]
Parameter Sets: ByName
Aliases: WidgetName

Required: False
Position: 0
Default value: None
Accept pipeline input: True (ByPropertyName)
Accept wildcard characters: True
```

### -Id
The widget id.

```yaml
Type: Int32
Parameter Sets: ById
Aliases:

Required: True
Position: Named
Default value: None
Accept pipeline input: False
Accept wildcard characters: False
```

### -Fast
Goes fast.

```yaml
Type: SwitchParameter
Parameter Sets: (All)
Aliases:

Required: False
Position: Named
Default value: False
Accept pipeline input: False
Accept wildcard characters: False
```

### CommonParameters
This cmdlet supports the common parameters.

## INPUTS

### System.String[]
Names.

## OUTPUTS

### ClydePS.ClydeWidget
A widget.

## NOTES
A note.

## RELATED LINKS

[Get-ClydeNodeNetwork](Get-ClydeNodeNetwork.md)
'@
            $doc = (& $Edit ($doc -creplace 'THE-CMDLET', $CmdletName))
            Set-Content -LiteralPath (Join-Path $docs "cmdlets/$CmdletName.md") -Value $doc -NoNewline
            $about = @'
# about_ClydeWidget

## SHORT DESCRIPTION
Widgets.

## LONG DESCRIPTION
A long description that is long enough to be wrapped at eighty columns by the converter, as PlatyPS does.

```powershell
Get-ClydeWidget
```
'@
            Set-Content -LiteralPath (Join-Path $docs 'about_ClydeWidget.md') -Value $about -NoNewline
            return $docs
        }

        function Get-Maml {
            param([string] $Path)
            $xml = [xml](Get-Content -LiteralPath (Join-Path $Path 'ClydePS.dll-Help.xml') -Raw)
            $ns = [System.Xml.XmlNamespaceManager]::new($xml.NameTable)
            $ns.AddNamespace('msh', 'http://msh')
            $ns.AddNamespace('maml', 'http://schemas.microsoft.com/maml/2004/10')
            $ns.AddNamespace('command', 'http://schemas.microsoft.com/maml/dev/command/2004/10')
            $ns.AddNamespace('dev', 'http://schemas.microsoft.com/maml/dev/2004/10')
            return @{ Xml = $xml; Ns = $ns }
        }
    }

    Context 'a valid doc' {
        BeforeAll {
            $docs = New-TestDocs 'valid'
            $out = Join-Path $TestDrive 'valid-out'
            $written = & $converter -DocsPath $docs -OutputPath $out -PassThru
            $maml = Get-Maml $out
            $xml = $maml.Xml
            $ns = $maml.Ns
            $command = $xml.SelectSingleNode('/msh:helpItems/command:command', $ns)
        }

        It 'writes the MAML and the about topic' {
            @($written | ForEach-Object Name) | Should -Be @('ClydePS.dll-Help.xml', 'about_ClydeWidget.help.txt')
            $xml.DocumentElement.GetAttribute('schema') | Should -Be 'maml'
            @($xml.SelectNodes('/msh:helpItems/command:command', $ns)).Count | Should -Be 1
        }

        It 'writes name, verb, noun and the synopsis, XML-escaped' {
            $command.SelectSingleNode('command:details/command:name', $ns).InnerText | Should -Be 'Get-ClydeWidget'
            $command.SelectSingleNode('command:details/command:verb', $ns).InnerText | Should -Be 'Get'
            $command.SelectSingleNode('command:details/command:noun', $ns).InnerText | Should -Be 'ClydeWidget'
            $command.SelectSingleNode('command:details/maml:description/maml:para', $ns).InnerText |
                Should -Be 'Gets widgets & their <sizes>.'
            Get-Content -LiteralPath (Join-Path $out 'ClydePS.dll-Help.xml') -Raw | Should -Match 'Gets widgets &amp; their &lt;sizes&gt;\.'
        }

        It 'writes one para per paragraph and list item' {
            $paras = @($command.SelectNodes('maml:description/maml:para', $ns) | ForEach-Object InnerText)
            $paras | Should -Be @('The first paragraph, joined into one line.', '- a list item', '- another "quoted" item')
        }

        It 'writes one syntax item per parameter set' {
            $items = @($command.SelectNodes('command:syntax/command:syntaxItem', $ns))
            $items.Count | Should -Be 2
            @($items[0].SelectNodes('command:parameter/maml:name', $ns) | ForEach-Object InnerText) | Should -Be @('Name', 'Fast')
            @($items[1].SelectNodes('command:parameter/maml:name', $ns) | ForEach-Object InnerText) | Should -Be @('Id', 'Fast')
            # As PlatyPS: a switch has no value in the syntax.
            $items[0].SelectSingleNode("command:parameter[maml:name='Fast']/command:parameterValue", $ns) | Should -BeNullOrEmpty
        }

        It 'writes the parameters with their attributes' {
            $params = @($command.SelectNodes('command:parameters/command:parameter', $ns))
            @($params | ForEach-Object { $_.SelectSingleNode('maml:name', $ns).InnerText }) | Should -Be @('Name', 'Id', 'Fast')
            $name = $params[0]
            $name.GetAttribute('required') | Should -Be 'false'
            $name.GetAttribute('position') | Should -Be '0'
            $name.GetAttribute('pipelineInput') | Should -Be 'True (ByPropertyName)'
            $name.GetAttribute('globbing') | Should -Be 'true'
            $name.GetAttribute('aliases') | Should -Be 'WidgetName'
            $name.SelectSingleNode('maml:description/maml:para', $ns).InnerText | Should -Be 'Widget names. Wildcards are allowed.'
            $name.SelectSingleNode('command:parameterValue', $ns).InnerText | Should -Be 'String[]'
            $name.SelectSingleNode('dev:type/maml:name', $ns).InnerText | Should -Be 'String[]'
            $id = $params[1]
            $id.GetAttribute('required') | Should -Be 'true'
            $id.GetAttribute('position') | Should -Be 'named'
            $id.GetAttribute('pipelineInput') | Should -Be 'False'
            $params[2].SelectSingleNode('dev:defaultValue', $ns).InnerText | Should -Be 'False'
        }

        It 'writes the examples with title, code and remarks' {
            $examples = @($command.SelectNodes('command:examples/command:example', $ns))
            $examples.Count | Should -Be 2
            $examples[0].SelectSingleNode('maml:title', $ns).InnerText | Should -Match 'Example 1: Get all widgets'
            $code = $examples[0].SelectSingleNode('dev:code', $ns).InnerText
            $code | Should -Be "Get-ClydeWidget | Where-Object { `$_.Size -lt 5 -and `$_.Name -ne '&' }"
            $errors = $null
            $null = [System.Management.Automation.Language.Parser]::ParseInput($code, [ref]$null, [ref]$errors)
            $errors | Should -BeNullOrEmpty
            # A block that is not PowerShell (here ```output) goes to the remarks, so the code stays parseable.
            @($examples[0].SelectNodes('dev:remarks/maml:para', $ns) | ForEach-Object InnerText) |
                Should -Be @('    Name  Size', 'Gets every widget smaller than 5.')
        }

        It 'writes inputs, outputs, notes and related links' {
            $command.SelectSingleNode('command:inputTypes/command:inputType/dev:type/maml:name', $ns).InnerText | Should -Be 'System.String[]'
            $command.SelectSingleNode('command:returnValues/command:returnValue/dev:type/maml:name', $ns).InnerText | Should -Be 'ClydePS.ClydeWidget'
            $command.SelectSingleNode('maml:alertSet/maml:alert/maml:para', $ns).InnerText | Should -Be 'A note.'
            $links = @($command.SelectNodes('command:relatedLinks/maml:navigationLink', $ns))
            $links[0].SelectSingleNode('maml:uri', $ns).InnerText | Should -Be 'https://example.test/widget'
            $links[1].SelectSingleNode('maml:linkText', $ns).InnerText | Should -Be 'Get-ClydeNodeNetwork'
        }

        It 'writes the about topic as plain text' {
            $lines = Get-Content -LiteralPath (Join-Path $out 'about_ClydeWidget.help.txt')
            $lines[0] | Should -Be 'TOPIC'
            $lines[1] | Should -Be '    about_ClydeWidget'
            $lines | Should -Contain 'SHORT DESCRIPTION'
            $lines | Should -Contain 'LONG DESCRIPTION'
            $lines | Should -Contain '        Get-ClydeWidget'
            $lines | ForEach-Object { $_.Length | Should -BeLessOrEqual 80 }
        }

        It 'is deterministic' {
            $again = Join-Path $TestDrive 'valid-out-again'
            $null = & $converter -DocsPath $docs -OutputPath $again
            foreach ($file in 'ClydePS.dll-Help.xml', 'about_ClydeWidget.help.txt') {
                (Get-FileHash (Join-Path $again $file)).Hash | Should -Be (Get-FileHash (Join-Path $out $file)).Hash
            }
        }
    }

    Context 'a malformed doc' {
        It 'throws naming the file and the section when <Case>' -ForEach @(
            @{ Case = 'SYNOPSIS is missing'; Section = 'SYNOPSIS'; Pattern = '(?s)## SYNOPSIS\n.*?\n## SYNTAX'; With = '## SYNTAX' }
            @{ Case = 'SYNOPSIS is empty'; Section = 'SYNOPSIS'; Pattern = 'Gets widgets & their <sizes>\.'; With = '' }
            @{ Case = 'DESCRIPTION is missing'; Section = 'DESCRIPTION'; Pattern = '(?s)## DESCRIPTION\n.*?\n## EXAMPLES'; With = '## EXAMPLES' }
            @{ Case = 'a parameter has no yaml block'; Section = '-Id'; Pattern = '(?s)(The widget id\.\n\n)```yaml.*?```'; With = '$1' }
            @{ Case = 'a syntax parameter is not documented'; Section = 'ById'; Pattern = '-Id <Int32>'; With = '-Id <Int32> -Colour <String>' }
            @{ Case = 'a placeholder is left'; Section = 'DESCRIPTION'; Pattern = 'The first paragraph,'; With = '{{ Fill in the Description }}' }
            @{ Case = 'Required is not a boolean'; Section = '-Id'; Pattern = 'Required: True'; With = 'Required: Yes' }
            @{ Case = 'the front matter is missing'; Section = 'front matter'; Pattern = '(?s)^---.*?---\n'; With = '' }
        ) {
            $docs = New-TestDocs ('broken-' + [guid]::NewGuid().ToString('N')) 'Get-ClydeBroken' {
                param($text) [regex]::Replace(($text -replace "`r`n", "`n"), $Pattern, $With)
            }
            $out = Join-Path $TestDrive 'broken-out'
            { & $converter -DocsPath $docs -OutputPath $out } |
                Should -Throw -ExpectedMessage "*Get-ClydeBroken.md*$Section*"
        }
    }

    Context 'the project docs' {
        It 'convert without errors, one command per doc' {
            $out = Join-Path $TestDrive 'project'
            $null = & $converter -DocsPath $docsRoot -OutputPath $out
            $maml = Get-Maml $out
            $names = @($maml.Xml.SelectNodes('/msh:helpItems/command:command/command:details/command:name', $maml.Ns) | ForEach-Object InnerText)
            $docs = @(Get-ChildItem -LiteralPath (Join-Path $docsRoot 'cmdlets') -Filter '*.md' | ForEach-Object BaseName)
            $names | Sort-Object | Should -Be ($docs | Sort-Object)
            Join-Path $out 'about_ClydePS.help.txt' | Should -Exist
        }
    }
}
