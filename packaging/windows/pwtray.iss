; Inno Setup 6 script: a per-user installer for the Windows onedir bundle (dist\pwtray).
;
;   iscc /DAppVersion=0.1.0 packaging\windows\pwtray.iss
;
; Writes dist\pwtray-<version>-windows-x64-setup.exe. No administrator rights: the program goes
; to %LOCALAPPDATA%\Programs\pwtray, the shortcut to the user's Start menu, the optional start
; at login to HKCU\...\Run. The uninstaller removes that Run value even when pwtray's own
; Preferences wrote it, and leaves settings, history and the keyring entry unless asked.

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif

[Setup]
AppId={{7E0C9A52-4D5B-4F0E-9C52-3F1A2B8D6E41}
AppName=pwtray
AppVersion={#AppVersion}
AppVerName=pwtray {#AppVersion}
AppPublisher=pwtray
AppComments=Powerwall battery and grid status in the system tray
VersionInfoVersion={#AppVersion}
PrivilegesRequired=lowest
DefaultDirName={autopf}\pwtray
DefaultGroupName=pwtray
DisableProgramGroupPage=yes
DisableDirPage=auto
UninstallDisplayIcon={app}\pwtray.exe
UninstallDisplayName=pwtray
SetupIconFile=..\..\resources\pwtray.ico
OutputDir=..\..\dist
OutputBaseFilename=pwtray-{#AppVersion}-windows-x64-setup
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
; pwtray runs in the tray: close it (Restart Manager) before replacing its files
CloseApplications=yes
RestartApplications=no

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "autostart"; Description: "Start pwtray when I log in"; GroupDescription: "Start:"
Name: "desktopicon"; Description: "Create a desktop shortcut"; GroupDescription: "Shortcuts:"; Flags: unchecked

[Files]
Source: "..\..\dist\pwtray\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\pwtray"; Filename: "{app}\pwtray.exe"; Comment: "Powerwall battery and grid status"
Name: "{autodesktop}\pwtray"; Filename: "{app}\pwtray.exe"; Tasks: desktopicon

[Registry]
; The same value pwtray's Preferences ("Start pwtray when I log in") reads and writes.
Root: HKCU; Subkey: "Software\Microsoft\Windows\CurrentVersion\Run"; ValueType: string; \
  ValueName: "pwtray"; ValueData: """{app}\pwtray.exe"""; Tasks: autostart; Flags: uninsdeletevalue

[Run]
Filename: "{app}\pwtray.exe"; Description: "Start pwtray now"; Flags: nowait postinstall skipifsilent

[UninstallRun]
; Ask a running pwtray to quit before its files go (it exits when its window is closed from
; the tray menu; taskkill is the fallback for an unattended uninstall).
Filename: "{sys}\taskkill.exe"; Parameters: "/IM pwtray.exe /F"; Flags: runhidden; RunOnceId: "StopPwtray"

[Code]
procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
var
  Folder: String;
begin
  if CurUninstallStep = usPostUninstall then
  begin
    { Preferences may have written the Run value after installation: remove it in any case. }
    RegDeleteValue(HKEY_CURRENT_USER, 'Software\Microsoft\Windows\CurrentVersion\Run', 'pwtray');
    Folder := ExpandConstant('{localappdata}\pwtray');
    if DirExists(Folder) and (MsgBox('Also remove pwtray''s settings, history and logs?' + #13#10 +
        '(The password stays in Windows Credential Manager under "pwtray".)',
        mbConfirmation, MB_YESNO or MB_DEFBUTTON2) = IDYES) then
      DelTree(Folder, True, True, True);
  end;
end;
