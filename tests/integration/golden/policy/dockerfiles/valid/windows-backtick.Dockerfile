# escape=`
FROM mcr.microsoft.com/windows/servercore:ltsc2022
SHELL ["powershell", "-Command", "$ErrorActionPreference = 'Stop';"]
RUN New-Item -ItemType Directory C:\app ; `
    Set-Location C:\app
COPY app C:\app
ENV PATH="C:\app;${PATH}"
USER ContainerUser
WORKDIR C:\app
CMD ["C:\\app\\app.exe"]
