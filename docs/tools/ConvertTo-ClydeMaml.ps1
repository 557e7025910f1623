<#
.SYNOPSIS
    Converts ClydePS's PlatyPS-style markdown help into MAML and about-topic text.

.DESCRIPTION
    PlatyPS cannot be installed on the build machines, so this script does what PlatyPS's
    New-ExternalHelp does for the parts of its schema 2.0.0 layout that ClydePS uses:

    - every <DocsPath>/cmdlets/*.md becomes one command:command element of the MAML file named by the
      doc's "external help file" front-matter key (ClydePS.dll-Help.xml), written to <OutputPath>;
    - every <DocsPath>/about_*.md becomes <OutputPath>/about_*.help.txt (plain text, 80 columns).

    The output is deterministic (files sorted by name, LF line endings, UTF-8 without BOM), so a rebuild
    of unchanged docs gives byte-identical files. A malformed doc (a missing section, a parameter in
    SYNTAX without a PARAMETERS entry, an unknown metadata key, a left-over {{ placeholder }}, ...)
    throws an error that names the file and the section.

.PARAMETER DocsPath
    The docs folder: the one that holds cmdlets/ and about_*.md.

.PARAMETER OutputPath
    The folder to write the MAML and about files to, normally the en-US folder beside ClydePS.dll in the
    assembled module. Created when missing.

.PARAMETER PassThru
    Writes a FileInfo object for every file written. By default the script writes nothing to the pipeline.

.EXAMPLE
    ./docs/tools/ConvertTo-ClydeMaml.ps1 -DocsPath ./docs -OutputPath ./out/ClydePS/en-US
#>
[CmdletBinding()]
[OutputType([System.IO.FileInfo])]
param(
    [Parameter(Mandatory)]
    [string] $DocsPath,

    [Parameter(Mandatory)]
    [string] $OutputPath,

    [switch] $PassThru
)

Set-StrictMode -Version 3.0
$ErrorActionPreference = 'Stop'

$MamlNs = 'http://schemas.microsoft.com/maml/2004/10'
$CommandNs = 'http://schemas.microsoft.com/maml/dev/command/2004/10'
$DevNs = 'http://schemas.microsoft.com/maml/dev/2004/10'
$MshNs = 'http://msh'
$MsHelpNs = 'http://msdn.microsoft.com/mshelp'

$RequiredCmdletSections = @('SYNOPSIS', 'SYNTAX', 'DESCRIPTION', 'EXAMPLES', 'PARAMETERS')
$KnownCmdletSections = $RequiredCmdletSections + @('INPUTS', 'OUTPUTS', 'NOTES', 'RELATED LINKS')
$ParameterMetadataKeys = @('Type', 'Parameter Sets', 'Aliases', 'Accepted values', 'Required', 'Position',
    'Default value', 'Accept pipeline input', 'Accept wildcard characters')
$OptionalParameterMetadataKeys = @('Accepted values', 'Applicable')
$AboutWidth = 80
$AboutIndent = '    '

function Stop-Doc {
    # Every failure names the file and the section, so a broken doc is found at once.
    param([string] $File, [string] $Section, [string] $Message)
    throw "ConvertTo-ClydeMaml: ${File}: section '$Section': $Message"
}

#region Markdown reading

function Split-FrontMatter {
    # Returns @{ Meta = ordered dictionary; Body = string[]; BodyStart = line number of the first body line }.
    param([string] $File, [string[]] $Lines, [bool] $Required)
    $meta = [ordered]@{}
    if ($Lines.Count -eq 0 -or $Lines[0].Trim() -ne '---') {
        if ($Required) { Stop-Doc $File 'front matter' "the file must start with a '---' YAML front matter block" }
        return @{ Meta = $meta; Body = $Lines }
    }
    $end = -1
    for ($i = 1; $i -lt $Lines.Count; $i++) {
        if ($Lines[$i].Trim() -eq '---') { $end = $i; break }
        if ($Lines[$i].Trim() -eq '') { continue }
        if ($Lines[$i] -notmatch '^\s*([^:]+?)\s*:\s*(.*?)\s*$') {
            Stop-Doc $File 'front matter' "line $($i + 1) is not 'key: value': '$($Lines[$i])'"
        }
        $meta[$Matches[1]] = $Matches[2].Trim('"', "'")
    }
    if ($end -lt 0) { Stop-Doc $File 'front matter' "the closing '---' is missing" }
    $body = if ($end + 1 -lt $Lines.Count) { $Lines[($end + 1)..($Lines.Count - 1)] } else { @() }
    return @{ Meta = $meta; Body = [string[]]$body }
}

function Split-Heading {
    # Splits lines into blocks at headings of exactly the given level, ignoring '#' lines inside fenced code.
    # Returns @{ Preamble = string[]; Sections = list of @{ Title; Lines } }.
    param([string[]] $Lines, [int] $Level)
    $prefix = '#' * $Level
    $pattern = '^' + $prefix + '\s+(.+?)\s*#*\s*$'
    $preamble = [System.Collections.Generic.List[string]]::new()
    $sections = [System.Collections.Generic.List[object]]::new()
    $current = $null
    $inFence = $false
    foreach ($line in $Lines) {
        if ($line -match '^\s*(```|~~~)') { $inFence = -not $inFence }
        if (-not $inFence -and $line -match $pattern -and $line -notmatch ('^' + $prefix + '#')) {
            $current = @{ Title = $Matches[1]; Lines = [System.Collections.Generic.List[string]]::new() }
            $sections.Add($current)
            continue
        }
        if ($null -eq $current) { $preamble.Add($line) } else { $current.Lines.Add($line) }
    }
    return @{ Preamble = [string[]]$preamble; Sections = $sections }
}

function Get-Block {
    # Turns markdown lines into blocks: @{ Kind = 'Para'|'List'|'Code'|'Table'|'Heading'; Text; Lang; Level; Lines }.
    # Paragraph lines are joined with a space; list items are one block each; code keeps its lines.
    param([string] $File, [string] $Section, [string[]] $Lines)
    $blocks = [System.Collections.Generic.List[object]]::new()
    $i = 0
    while ($i -lt $Lines.Count) {
        $line = $Lines[$i]
        if ($line.Trim() -eq '') { $i++; continue }
        if ($line -match '^(\s*)(```|~~~)\s*([\w+#.-]*)\s*$') {
            $fence = $Matches[2]; $lang = $Matches[3]; $indent = $Matches[1].Length
            $code = [System.Collections.Generic.List[string]]::new()
            $i++
            $closed = $false
            while ($i -lt $Lines.Count) {
                if ($Lines[$i] -match ('^\s*' + [regex]::Escape($fence) + '\s*$')) { $closed = $true; $i++; break }
                $codeLine = $Lines[$i]
                if ($indent -gt 0 -and $codeLine.Length -ge $indent -and $codeLine.Substring(0, $indent).Trim() -eq '') {
                    $codeLine = $codeLine.Substring($indent)
                }
                $code.Add($codeLine.TrimEnd())
                $i++
            }
            if (-not $closed) { Stop-Doc $File $Section "a code block ($fence$lang) is not closed" }
            $blocks.Add(@{ Kind = 'Code'; Lang = $lang; Lines = [string[]]$code; Text = ($code -join "`n") })
            continue
        }
        if ($line -match '^(#{1,6})\s+(.+?)\s*#*\s*$') {
            $blocks.Add(@{ Kind = 'Heading'; Level = $Matches[1].Length; Text = $Matches[2] })
            $i++
            continue
        }
        if ($line -match '^\s*\|') {
            $rows = [System.Collections.Generic.List[string]]::new()
            while ($i -lt $Lines.Count -and $Lines[$i] -match '^\s*\|') { $rows.Add($Lines[$i].Trim()); $i++ }
            $blocks.Add(@{ Kind = 'Table'; Lines = [string[]]$rows; Text = ($rows -join "`n") })
            continue
        }
        if ($line -match '^(\s*)([-*+]|\d+[.)])\s+(.*)$') {
            $marker = $Matches[2]; $depth = $Matches[1].Length
            $words = [System.Collections.Generic.List[string]]::new()
            $words.Add($Matches[3].Trim())
            $i++
            while ($i -lt $Lines.Count -and $Lines[$i].Trim() -ne '' -and
                $Lines[$i] -notmatch '^\s*([-*+]|\d+[.)])\s+' -and $Lines[$i] -notmatch '^\s*(```|~~~|#|\|)') {
                $words.Add($Lines[$i].Trim()); $i++
            }
            $bullet = if ($marker -match '^\d') { $marker } else { '-' }
            $blocks.Add(@{ Kind = 'List'; Marker = $bullet; Depth = $depth; Text = ($words -join ' ') })
            continue
        }
        $words = [System.Collections.Generic.List[string]]::new()
        while ($i -lt $Lines.Count -and $Lines[$i].Trim() -ne '' -and
            $Lines[$i] -notmatch '^\s*(```|~~~)' -and $Lines[$i] -notmatch '^#{1,6}\s' -and
            $Lines[$i] -notmatch '^\s*([-*+]|\d+[.)])\s+' -and $Lines[$i] -notmatch '^\s*\|') {
            $words.Add($Lines[$i].Trim()); $i++
        }
        $blocks.Add(@{ Kind = 'Para'; Text = ($words -join ' ') })
    }
    foreach ($block in $blocks) {
        if ($block.Kind -ne 'Code' -and $block.Text -match '\{\{.*?\}\}') {
            Stop-Doc $File $Section "a PlatyPS placeholder is left: '$($Matches[0])'"
        }
    }
    return , $blocks
}

function ConvertTo-PlainText {
    # Inline markdown to the plain text Get-Help shows: links become 'text (url)', emphasis markers go,
    # code spans keep their backticks (PowerShell's own help does the same).
    param([string] $Text)
    $t = [regex]::Replace($Text, '\[([^\]]+)\]\((https?://[^)\s]+)\)', '$1 ($2)')
    $t = [regex]::Replace($t, '\[([^\]]+)\]\([^)]*\)', '$1')
    $t = [regex]::Replace($t, '(\*\*|__)(?=\S)(.+?)(?<=\S)\1', '$2')
    $t = [regex]::Replace($t, '(?<![\w*])\*(?=\S)([^*]+?)(?<=\S)\*(?![\w*])', '$1')
    $t = $t -replace '  +', ' '
    return $t.Trim()
}

function Get-Para {
    # Markdown lines to the maml:para texts PlatyPS would emit: one per paragraph, list item, table or code block.
    param([string] $File, [string] $Section, [string[]] $Lines)
    $paras = [System.Collections.Generic.List[string]]::new()
    foreach ($block in (Get-Block $File $Section $Lines)) {
        switch ($block.Kind) {
            'Para' { $paras.Add((ConvertTo-PlainText $block.Text)) }
            'List' { $paras.Add((' ' * $block.Depth) + $block.Marker + ' ' + (ConvertTo-PlainText $block.Text)) }
            'Table' { $paras.Add($block.Text) }
            'Code' { $paras.Add((($block.Lines | ForEach-Object { '    ' + $_ }) -join "`n").TrimEnd()) }
            'Heading' { $paras.Add((ConvertTo-PlainText $block.Text).ToUpperInvariant()) }
        }
    }
    return , $paras
}

#endregion

#region Cmdlet docs

function Read-ParameterMetadata {
    param([string] $File, [string] $Section, [string[]] $Lines)
    $meta = [ordered]@{}
    foreach ($line in $Lines) {
        if ($line.Trim() -eq '') { continue }
        if ($line -notmatch '^([A-Za-z ]+?)\s*:\s*(.*?)\s*$') {
            Stop-Doc $File $Section "the yaml block line '$line' is not 'Key: value'"
        }
        $key = $Matches[1]; $value = $Matches[2]
        $known = $ParameterMetadataKeys + $OptionalParameterMetadataKeys | Where-Object { $_ -eq $key } | Select-Object -First 1
        if (-not $known) { Stop-Doc $File $Section "unknown yaml key '$key' (known: $($ParameterMetadataKeys -join ', '))" }
        $meta[[string]$known] = $value
    }
    foreach ($key in $ParameterMetadataKeys) {
        if ($key -in $OptionalParameterMetadataKeys) { continue }
        if (-not $meta.Contains($key) -or ($key -ne 'Aliases' -and $key -ne 'Default value' -and [string]::IsNullOrWhiteSpace($meta[$key]))) {
            Stop-Doc $File $Section "the yaml block lacks '$key'"
        }
    }
    foreach ($key in 'Required', 'Accept wildcard characters') {
        if ($meta[$key] -notmatch '^(?i:true|false)$') { Stop-Doc $File $Section "'$key' must be True or False, not '$($meta[$key])'" }
    }
    if ($meta['Position'] -notmatch '^(?i:named|\d+)$') {
        Stop-Doc $File $Section "'Position' must be Named or a number, not '$($meta['Position'])'"
    }
    if ($meta['Accept pipeline input'] -notmatch '^(?i:false|true(\s*\((ByValue|ByPropertyName)(,\s*(ByValue|ByPropertyName))?\))?)$') {
        Stop-Doc $File $Section "'Accept pipeline input' must be False or True (ByValue[, ByPropertyName]), not '$($meta['Accept pipeline input'])'"
    }
    $sets = @($meta['Parameter Sets'] -split ',' | ForEach-Object { $_.Trim() } | Where-Object { $_ })
    $aliases = @($meta['Aliases'] -split ',' | ForEach-Object { $_.Trim() } | Where-Object { $_ -and $_ -ne 'None' })
    $accepted = @()
    if ($meta.Contains('Accepted values')) {
        $accepted = @($meta['Accepted values'] -split ',' | ForEach-Object { $_.Trim() } | Where-Object { $_ })
    }
    $pipeline = $meta['Accept pipeline input']
    $pipeline = if ($pipeline -match '^(?i:false)$') { 'False' } else { 'True' + $pipeline.Substring(4) }
    return [pscustomobject]@{
        Type       = $meta['Type']
        Sets       = $sets
        Aliases    = [string[]]$aliases
        Accepted   = [string[]]$accepted
        Required   = $meta['Required'].ToLowerInvariant()
        Position   = $meta['Position'].ToLowerInvariant()
        Default    = if ([string]::IsNullOrWhiteSpace($meta['Default value'])) { 'None' } else { $meta['Default value'] }
        Pipeline   = $pipeline
        Globbing   = $meta['Accept wildcard characters'].ToLowerInvariant()
    }
}

function Read-CmdletDoc {
    param([System.IO.FileInfo] $Item)
    $file = $Item.Name
    $text = [System.IO.File]::ReadAllText($Item.FullName) -replace "`r`n?", "`n"
    $split = Split-FrontMatter $file ($text -split "`n") $true
    foreach ($key in 'external help file', 'Module Name', 'schema') {
        if (-not $split.Meta.Contains($key) -or [string]::IsNullOrWhiteSpace($split.Meta[$key])) {
            Stop-Doc $file 'front matter' "'$key' is missing"
        }
    }
    if ($split.Meta['schema'] -ne '2.0.0') { Stop-Doc $file 'front matter' "schema must be 2.0.0, not '$($split.Meta['schema'])'" }
    $helpFile = $split.Meta['external help file']
    if ($helpFile -notmatch '^[\w.-]+-Help\.xml$') { Stop-Doc $file 'front matter' "'external help file' must be '<assembly>-Help.xml', not '$helpFile'" }

    $top = Split-Heading $split.Body 1
    if ($top.Sections.Count -ne 1) { Stop-Doc $file '# Verb-Noun' "expected exactly one '# Verb-Noun' heading, found $($top.Sections.Count)" }
    $name = $top.Sections[0].Title.Trim()
    if ($name -ne $Item.BaseName) { Stop-Doc $file '# Verb-Noun' "the heading '$name' does not match the file name '$($Item.BaseName)'" }
    if ($name -notmatch '^[A-Za-z]+-[A-Za-z0-9]+$') { Stop-Doc $file '# Verb-Noun' "'$name' is not a Verb-Noun name" }

    $h2 = Split-Heading ([string[]]$top.Sections[0].Lines) 2
    if (@($h2.Preamble | Where-Object { $_.Trim() }).Count -gt 0) {
        Stop-Doc $file '# Verb-Noun' "text between '# $name' and '## SYNOPSIS' is not allowed"
    }
    $sections = @{}
    foreach ($s in $h2.Sections) {
        $title = $s.Title.Trim().ToUpperInvariant()
        if ($title -notin $KnownCmdletSections) { Stop-Doc $file "## $($s.Title)" "unknown section (known: $($KnownCmdletSections -join ', '))" }
        if ($sections.ContainsKey($title)) { Stop-Doc $file "## $title" 'the section appears twice' }
        $sections[$title] = [string[]]$s.Lines
    }
    foreach ($title in $RequiredCmdletSections) {
        if (-not $sections.ContainsKey($title)) { Stop-Doc $file "## $title" 'the section is missing' }
    }

    $synopsis = Get-Para $file '## SYNOPSIS' $sections['SYNOPSIS']
    if ($synopsis.Count -eq 0) { Stop-Doc $file '## SYNOPSIS' 'the synopsis is empty' }
    $description = Get-Para $file '## DESCRIPTION' $sections['DESCRIPTION']
    if ($description.Count -eq 0) { Stop-Doc $file '## DESCRIPTION' 'the description is empty' }

    # PARAMETERS: ### -Name, description, one or more ```yaml blocks (one per group of parameter sets).
    $parameters = [System.Collections.Generic.List[object]]::new()
    foreach ($p in (Split-Heading $sections['PARAMETERS'] 3).Sections) {
        if ($p.Title -eq 'CommonParameters') { continue }
        $section = "### $($p.Title)"
        if ($p.Title -notmatch '^-([A-Za-z][A-Za-z0-9_]*)$') { Stop-Doc $file $section "a parameter heading must be '### -Name'" }
        $pname = $Matches[1]
        if ($parameters | Where-Object Name -eq $pname) { Stop-Doc $file $section 'the parameter is described twice' }
        $textLines = [System.Collections.Generic.List[string]]::new()
        $metas = [System.Collections.Generic.List[object]]::new()
        foreach ($block in (Get-Block $file $section ([string[]]$p.Lines))) {
            if ($block.Kind -eq 'Code' -and $block.Lang -eq 'yaml') {
                $metas.Add((Read-ParameterMetadata $file $section $block.Lines))
            } elseif ($block.Kind -eq 'Code') {
                $textLines.Add('```'); $block.Lines | ForEach-Object { $textLines.Add($_) }; $textLines.Add('```'); $textLines.Add('')
            } elseif ($block.Kind -eq 'List') {
                $textLines.Add((' ' * $block.Depth) + $block.Marker + ' ' + $block.Text); $textLines.Add('')
            } else {
                $textLines.Add($block.Text); $textLines.Add('')
            }
        }
        if ($metas.Count -eq 0) { Stop-Doc $file $section 'the ```yaml metadata block is missing' }
        $pdesc = Get-Para $file $section ([string[]]$textLines)
        if ($pdesc.Count -eq 0) { Stop-Doc $file $section 'the parameter has no description' }
        $parameters.Add([pscustomobject]@{ Name = $pname; Description = $pdesc; Metas = $metas })
    }

    # SYNTAX: ### SetName [(Default)] then one code block 'Verb-Noun [-P <T>] ... [<CommonParameters>]'.
    $syntax = [System.Collections.Generic.List[object]]::new()
    $syntaxSets = (Split-Heading $sections['SYNTAX'] 3).Sections
    if ($syntaxSets.Count -eq 0) { Stop-Doc $file '## SYNTAX' "no '### ParameterSetName' heading with a syntax block" }
    foreach ($s in $syntaxSets) {
        $setName = ($s.Title -replace '\s*\(Default\)\s*$', '').Trim()
        $section = "## SYNTAX / ### $($s.Title)"
        $codes = @((Get-Block $file $section ([string[]]$s.Lines)) | Where-Object Kind -eq 'Code')
        if ($codes.Count -ne 1) { Stop-Doc $file $section "expected one code block, found $($codes.Count)" }
        $line = ($codes[0].Lines -join ' ').Trim()
        if (-not $line.StartsWith($name + ' ', [StringComparison]::OrdinalIgnoreCase) -and $line -ne $name) {
            Stop-Doc $file $section "the syntax must start with '$name'"
        }
        $items = [System.Collections.Generic.List[object]]::new()
        foreach ($m in [regex]::Matches($line, '(?<=[\s\[])-([A-Za-z][A-Za-z0-9_]*)')) {
            $pname = $m.Groups[1].Value
            $param = $parameters | Where-Object Name -eq $pname
            if (-not $param) { Stop-Doc $file $section "-$pname is in the syntax but has no '### -$pname' under ## PARAMETERS" }
            $meta = $param.Metas | Where-Object { $_.Sets -contains $setName -or $_.Sets -contains '(All)' } | Select-Object -First 1
            if (-not $meta) { Stop-Doc $file "### -$pname" "no yaml block lists the parameter set '$setName' (or '(All)')" }
            $items.Add([pscustomobject]@{ Parameter = $param; Meta = $meta })
        }
        $syntax.Add([pscustomobject]@{ Set = $setName; Items = $items })
    }
    foreach ($param in $parameters) {
        $used = $syntax | Where-Object { $_.Items.Parameter.Name -contains $param.Name }
        if (-not $used) { Stop-Doc $file "### -$($param.Name)" 'the parameter appears in no ## SYNTAX block' }
    }

    # EXAMPLES: ### Example N: title, code block(s), remarks.
    $examples = [System.Collections.Generic.List[object]]::new()
    $exampleSections = Split-Heading $sections['EXAMPLES'] 3
    if (@($exampleSections.Preamble | Where-Object { $_.Trim() }).Count -gt 0) {
        Stop-Doc $file '## EXAMPLES' "text before the first '### Example' heading"
    }
    foreach ($e in $exampleSections.Sections) {
        $section = "## EXAMPLES / ### $($e.Title)"
        $blocks = Get-Block $file $section ([string[]]$e.Lines)
        # The PowerShell blocks are the example's code (what Get-Help shows and what tests parse); any other
        # block, such as ```output, belongs to the remarks. An untagged block counts as code only when no
        # block is tagged as PowerShell.
        $allCode = @($blocks | Where-Object Kind -eq 'Code')
        if ($allCode.Count -eq 0) { Stop-Doc $file $section 'the example has no code block' }
        $codes = @($allCode | Where-Object { $_.Lang -in 'powershell', 'pwsh', 'ps', 'ps1' })
        if ($codes.Count -eq 0) { $codes = @($allCode[0]) }
        $remarkLines = [System.Collections.Generic.List[string]]::new()
        foreach ($b in $blocks) {
            if ($codes -contains $b) { continue }
            switch ($b.Kind) {
                'Code' { $remarkLines.Add('```'); $b.Lines | ForEach-Object { $remarkLines.Add($_) }; $remarkLines.Add('```') }
                'List' { $remarkLines.Add((' ' * $b.Depth) + $b.Marker + ' ' + $b.Text) }
                default { $remarkLines.Add($b.Text) }
            }
            $remarkLines.Add('')
        }
        $examples.Add([pscustomobject]@{
            Title   = '-------------------------- ' + $e.Title.Trim() + ' --------------------------'
            Code    = (($codes | ForEach-Object { $_.Text.Trim("`n") }) -join "`n`n")
            Remarks = Get-Para $file $section ([string[]]$remarkLines)
        })
    }

    $typeEntries = {
        param([string] $Title)
        $list = [System.Collections.Generic.List[object]]::new()
        if ($sections.ContainsKey($Title)) {
            foreach ($t in (Split-Heading $sections[$Title] 3).Sections) {
                $list.Add([pscustomobject]@{ Type = $t.Title.Trim(); Description = Get-Para $file "## $Title / ### $($t.Title)" ([string[]]$t.Lines) })
            }
        }
        , $list
    }

    $links = [System.Collections.Generic.List[object]]::new()
    if (-not [string]::IsNullOrWhiteSpace($split.Meta['online version'])) {
        $links.Add([pscustomobject]@{ Text = 'Online Version:'; Uri = $split.Meta['online version'] })
    }
    if ($sections.ContainsKey('RELATED LINKS')) {
        foreach ($block in (Get-Block $file '## RELATED LINKS' $sections['RELATED LINKS'])) {
            if ($block.Text -match '^\[([^\]]+)\]\(([^)]*)\)$') {
                $uri = if ($Matches[2] -match '^https?://') { $Matches[2] } else { '' }
                $links.Add([pscustomobject]@{ Text = $Matches[1]; Uri = $uri })
            } elseif ($block.Kind -in 'List', 'Para') {
                $links.Add([pscustomobject]@{ Text = (ConvertTo-PlainText $block.Text); Uri = '' })
            } else {
                Stop-Doc $file '## RELATED LINKS' "only links or plain lines are allowed, not a $($block.Kind.ToLowerInvariant())"
            }
        }
    }

    $notes = [string[]]@()
    if ($sections.ContainsKey('NOTES')) { $notes = [string[]](Get-Para $file '## NOTES' $sections['NOTES']) }

    return [pscustomobject]@{
        File        = $file
        HelpFile    = $helpFile
        Name        = $name
        Synopsis    = $synopsis
        Description = $description
        Syntax      = $syntax
        Parameters  = $parameters
        Inputs      = & $typeEntries 'INPUTS'
        Outputs     = & $typeEntries 'OUTPUTS'
        Notes       = $notes
        Examples    = $examples
        Links       = $links
    }
}

#endregion

#region MAML writing

function Write-Paras {
    param([System.Xml.XmlWriter] $W, [string] $Element, [string] $Ns, [string[]] $Paras)
    $W.WriteStartElement($Element.Split(':')[0], $Element.Split(':')[1], $Ns)
    if (-not $Paras -or $Paras.Count -eq 0) { $Paras = @('') }
    foreach ($p in $Paras) { $W.WriteElementString('maml', 'para', $MamlNs, $p) }
    $W.WriteEndElement()
}

function Write-Parameter {
    param([System.Xml.XmlWriter] $W, $Parameter, $Meta, [bool] $InSyntax)
    $type = if ($Meta.Type -match '^(?i:switch)$') { 'SwitchParameter' } else { $Meta.Type }
    $isSwitch = $type -match '^(System\.Management\.Automation\.)?SwitchParameter$'
    $W.WriteStartElement('command', 'parameter', $CommandNs)
    $W.WriteAttributeString('required', $Meta.Required)
    $W.WriteAttributeString('variableLength', 'true')
    $W.WriteAttributeString('globbing', $Meta.Globbing)
    $W.WriteAttributeString('pipelineInput', $Meta.Pipeline)
    $W.WriteAttributeString('position', $Meta.Position)
    $W.WriteAttributeString('aliases', $(if ($Meta.Aliases.Count) { $Meta.Aliases -join ', ' } else { 'none' }))
    $W.WriteElementString('maml', 'name', $MamlNs, $Parameter.Name)
    Write-Paras $W 'maml:description' $MamlNs $Parameter.Description
    if ($InSyntax -and $Meta.Accepted.Count -gt 0) {
        $W.WriteStartElement('command', 'parameterValueGroup', $CommandNs)
        foreach ($v in $Meta.Accepted) {
            $W.WriteStartElement('command', 'parameterValue', $CommandNs)
            $W.WriteAttributeString('required', 'false')
            $W.WriteAttributeString('command', 'variableLength', $CommandNs, 'false')
            $W.WriteString($v)
            $W.WriteEndElement()
        }
        $W.WriteEndElement()
    }
    # As PlatyPS does: a switch has no value in the syntax, so Get-Help shows '[-Summary]' not '[-Summary <SwitchParameter>]'.
    if (-not ($InSyntax -and $isSwitch)) {
        $W.WriteStartElement('command', 'parameterValue', $CommandNs)
        $W.WriteAttributeString('required', $(if ($isSwitch) { 'false' } else { 'true' }))
        $W.WriteAttributeString('variableLength', 'false')
        $W.WriteString($type)
        $W.WriteEndElement()
    }
    $W.WriteStartElement('dev', 'type', $DevNs)
    $W.WriteElementString('maml', 'name', $MamlNs, $type)
    $W.WriteElementString('maml', 'uri', $MamlNs, '')
    $W.WriteEndElement()
    $W.WriteElementString('dev', 'defaultValue', $DevNs, $Meta.Default)
    $W.WriteEndElement()
}

function Write-TypeList {
    param([System.Xml.XmlWriter] $W, [string] $ListElement, [string] $ItemElement, $Entries)
    $W.WriteStartElement('command', $ListElement, $CommandNs)
    foreach ($entry in $Entries) {
        $W.WriteStartElement('command', $ItemElement, $CommandNs)
        $W.WriteStartElement('dev', 'type', $DevNs)
        $W.WriteElementString('maml', 'name', $MamlNs, $entry.Type)
        $W.WriteEndElement()
        Write-Paras $W 'maml:description' $MamlNs $entry.Description
        $W.WriteEndElement()
    }
    $W.WriteEndElement()
}

function Write-Command {
    param([System.Xml.XmlWriter] $W, $Doc)
    $W.WriteStartElement('command', 'command', $CommandNs)
    $W.WriteAttributeString('xmlns', 'maml', $null, $MamlNs)
    $W.WriteAttributeString('xmlns', 'command', $null, $CommandNs)
    $W.WriteAttributeString('xmlns', 'dev', $null, $DevNs)
    $W.WriteAttributeString('xmlns', 'MSHelp', $null, $MsHelpNs)

    $verb, $noun = $Doc.Name -split '-', 2
    $W.WriteStartElement('command', 'details', $CommandNs)
    $W.WriteElementString('command', 'name', $CommandNs, $Doc.Name)
    $W.WriteElementString('command', 'verb', $CommandNs, $verb)
    $W.WriteElementString('command', 'noun', $CommandNs, $noun)
    Write-Paras $W 'maml:description' $MamlNs $Doc.Synopsis
    $W.WriteEndElement()

    Write-Paras $W 'maml:description' $MamlNs $Doc.Description

    $W.WriteStartElement('command', 'syntax', $CommandNs)
    foreach ($set in $Doc.Syntax) {
        $W.WriteStartElement('command', 'syntaxItem', $CommandNs)
        $W.WriteElementString('maml', 'name', $MamlNs, $Doc.Name)
        foreach ($item in $set.Items) { Write-Parameter $W $item.Parameter $item.Meta $true }
        $W.WriteEndElement()
    }
    $W.WriteEndElement()

    $W.WriteStartElement('command', 'parameters', $CommandNs)
    foreach ($p in $Doc.Parameters) { Write-Parameter $W $p $p.Metas[0] $false }
    $W.WriteEndElement()

    Write-TypeList $W 'inputTypes' 'inputType' $Doc.Inputs
    Write-TypeList $W 'returnValues' 'returnValue' $Doc.Outputs

    $W.WriteStartElement('maml', 'alertSet', $MamlNs)
    Write-Paras $W 'maml:alert' $MamlNs $Doc.Notes
    $W.WriteEndElement()

    $W.WriteStartElement('command', 'examples', $CommandNs)
    foreach ($e in $Doc.Examples) {
        $W.WriteStartElement('command', 'example', $CommandNs)
        $W.WriteElementString('maml', 'title', $MamlNs, $e.Title)
        $W.WriteElementString('dev', 'code', $DevNs, $e.Code)
        Write-Paras $W 'dev:remarks' $DevNs $e.Remarks
        $W.WriteEndElement()
    }
    $W.WriteEndElement()

    $W.WriteStartElement('command', 'relatedLinks', $CommandNs)
    foreach ($l in $Doc.Links) {
        $W.WriteStartElement('maml', 'navigationLink', $MamlNs)
        $W.WriteElementString('maml', 'linkText', $MamlNs, $l.Text)
        $W.WriteElementString('maml', 'uri', $MamlNs, $l.Uri)
        $W.WriteEndElement()
    }
    $W.WriteEndElement()

    $W.WriteEndElement()
}

function Write-MamlFile {
    param([string] $Path, $Docs)
    $settings = [System.Xml.XmlWriterSettings]::new()
    $settings.Encoding = [System.Text.UTF8Encoding]::new($false)
    $settings.Indent = $true
    $settings.IndentChars = '  '
    $settings.NewLineChars = "`n"
    $settings.NewLineHandling = [System.Xml.NewLineHandling]::Replace
    $settings.CheckCharacters = $true
    $stream = [System.IO.MemoryStream]::new()
    $w = [System.Xml.XmlWriter]::Create($stream, $settings)
    try {
        $w.WriteStartDocument()
        $w.WriteStartElement('helpItems', $MshNs)
        $w.WriteAttributeString('schema', 'maml')
        foreach ($doc in $Docs) {
            try { Write-Command $w $doc }
            catch { throw "ConvertTo-ClydeMaml: $($doc.File): section 'MAML': cannot write the help: $($_.Exception.Message)" }
        }
        $w.WriteEndElement()
        $w.WriteEndDocument()
        $w.Flush()
        [System.IO.File]::WriteAllBytes($Path, $stream.ToArray())
    } finally {
        $w.Dispose(); $stream.Dispose()
    }
    # A round trip through the XML parser proves the file is well formed before anyone ships it.
    $null = [xml][System.IO.File]::ReadAllText($Path)
}

#endregion

#region About topics

function Format-Wrapped {
    # Word-wraps text to the about width: first line after $First, the rest after $Rest.
    param([string] $Text, [string] $First, [string] $Rest)
    $lines = [System.Collections.Generic.List[string]]::new()
    $current = $First
    $empty = $true
    foreach ($word in ($Text -split '\s+' | Where-Object { $_ })) {
        if (-not $empty -and ($current.Length + 1 + $word.Length) -gt $AboutWidth) {
            $lines.Add($current); $current = $Rest + $word
        } elseif ($empty) {
            $current += $word
        } else {
            $current += ' ' + $word
        }
        $empty = $false
    }
    $lines.Add($current)
    return , $lines
}

function ConvertTo-AboutText {
    param([System.IO.FileInfo] $Item)
    $file = $Item.Name
    $text = [System.IO.File]::ReadAllText($Item.FullName) -replace "`r`n?", "`n"
    $split = Split-FrontMatter $file ($text -split "`n") $false
    $blocks = Get-Block $file 'about topic' $split.Body
    if ($blocks.Count -eq 0 -or $blocks[0].Kind -ne 'Heading' -or $blocks[0].Level -ne 1) {
        Stop-Doc $file "# $($Item.BaseName)" "the topic must start with '# $($Item.BaseName)'"
    }
    if ($blocks[0].Text -ne $Item.BaseName) {
        Stop-Doc $file "# $($Item.BaseName)" "the heading '$($blocks[0].Text)' does not match the file name"
    }
    $titles = @($blocks | Where-Object { $_.Kind -eq 'Heading' -and $_.Level -eq 2 } | ForEach-Object { $_.Text.ToUpperInvariant() })
    foreach ($required in 'SHORT DESCRIPTION', 'LONG DESCRIPTION') {
        if ($required -notin $titles) { Stop-Doc $file "## $required" 'the section is missing' }
    }
    $out = [System.Collections.Generic.List[string]]::new()
    $out.Add('TOPIC'); $out.Add($AboutIndent + $Item.BaseName); $out.Add('')
    for ($i = 1; $i -lt $blocks.Count; $i++) {
        $b = $blocks[$i]
        switch ($b.Kind) {
            'Heading' {
                $t = ConvertTo-PlainText $b.Text
                switch ($b.Level) {
                    1 { Stop-Doc $file "# $t" "only the first heading may be level 1" }
                    2 { $out.Add($t.ToUpperInvariant()) }
                    3 { $out.Add($AboutIndent + $t.ToUpperInvariant()) }
                    default { $out.Add($AboutIndent + $t) }
                }
            }
            'Para' { $out.AddRange((Format-Wrapped (ConvertTo-PlainText $b.Text) $AboutIndent $AboutIndent)); $out.Add('') }
            'List' {
                $lead = $AboutIndent + (' ' * $b.Depth) + $b.Marker + ' '
                $out.AddRange((Format-Wrapped (ConvertTo-PlainText $b.Text) $lead (' ' * $lead.Length)))
                $next = if ($i + 1 -lt $blocks.Count) { $blocks[$i + 1] } else { $null }
                if (-not $next -or $next.Kind -ne 'List') { $out.Add('') }
            }
            'Table' { foreach ($r in $b.Lines) { $out.Add($AboutIndent + $r) }; $out.Add('') }
            'Code' { foreach ($r in $b.Lines) { $out.Add(($AboutIndent + $AboutIndent + $r).TrimEnd()) }; $out.Add('') }
        }
    }
    while ($out.Count -gt 0 -and $out[$out.Count - 1] -eq '') { $out.RemoveAt($out.Count - 1) }
    return ($out -join "`n") + "`n"
}

#endregion

$docsRoot = $PSCmdlet.GetUnresolvedProviderPathFromPSPath($DocsPath)
$outRoot = $PSCmdlet.GetUnresolvedProviderPathFromPSPath($OutputPath)
$cmdletFolder = Join-Path $docsRoot 'cmdlets'
if (-not (Test-Path -LiteralPath $cmdletFolder -PathType Container)) {
    throw "ConvertTo-ClydeMaml: '$cmdletFolder' does not exist: -DocsPath must be the folder that holds cmdlets/."
}
$null = New-Item -ItemType Directory -Path $outRoot -Force

# Ordinal order, whatever the culture, so the output is byte-identical on every machine.
$cmdletFiles = @(Get-ChildItem -LiteralPath $cmdletFolder -Filter '*.md' -File)
$cmdletFiles = @([System.Linq.Enumerable]::OrderBy([System.IO.FileInfo[]]$cmdletFiles, [Func[System.IO.FileInfo, string]] { $args[0].Name }, [System.StringComparer]::Ordinal))
if ($cmdletFiles.Count -eq 0) { throw "ConvertTo-ClydeMaml: '$cmdletFolder' holds no *.md file." }
$docs = foreach ($f in $cmdletFiles) { Read-CmdletDoc $f }

foreach ($group in @($docs | Group-Object HelpFile | Sort-Object Name -Culture '')) {
    $target = Join-Path $outRoot $group.Name
    Write-MamlFile $target @($group.Group)
    Write-Verbose "Wrote $target ($($group.Count) commands)"
    if ($PassThru) { Get-Item -LiteralPath $target }
}

$aboutFiles = @(Get-ChildItem -LiteralPath $docsRoot -Filter 'about_*.md' -File)
$aboutFiles = @([System.Linq.Enumerable]::OrderBy([System.IO.FileInfo[]]$aboutFiles, [Func[System.IO.FileInfo, string]] { $args[0].Name }, [System.StringComparer]::Ordinal))
foreach ($f in $aboutFiles) {
    $target = Join-Path $outRoot ($f.BaseName + '.help.txt')
    [System.IO.File]::WriteAllText($target, (ConvertTo-AboutText $f), [System.Text.UTF8Encoding]::new($false))
    Write-Verbose "Wrote $target"
    if ($PassThru) { Get-Item -LiteralPath $target }
}
