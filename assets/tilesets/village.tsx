<?xml version="1.0" encoding="UTF-8"?>
<tileset version="1.10" tiledversion="1.10.2" name="village" tilewidth="16" tileheight="16" tilecount="24" columns="8">
 <image source="village.png" width="128" height="48"/>
 <tile id="0">
  <properties>
   <property name="blocked" type="bool" value="false"/>
   <property name="name" value="grass"/>
  </properties>
 </tile>
 <tile id="1">
  <properties>
   <property name="blocked" type="bool" value="false"/>
   <property name="name" value="flowers"/>
  </properties>
 </tile>
 <tile id="2">
  <properties>
   <property name="blocked" type="bool" value="false"/>
   <property name="name" value="path"/>
  </properties>
 </tile>
 <tile id="3">
  <properties>
   <property name="blocked" type="bool" value="false"/>
   <property name="name" value="cobble"/>
  </properties>
 </tile>
 <tile id="4">
  <properties>
   <property name="blocked" type="bool" value="false"/>
   <property name="name" value="sand"/>
  </properties>
 </tile>
 <tile id="5">
  <properties>
   <property name="blocked" type="bool" value="true"/>
   <property name="name" value="water"/>
  </properties>
 </tile>
 <tile id="6">
  <properties>
   <property name="blocked" type="bool" value="false"/>
   <property name="name" value="bridge"/>
  </properties>
 </tile>
 <tile id="7">
  <properties>
   <property name="blocked" type="bool" value="false"/>
   <property name="name" value="floor"/>
  </properties>
 </tile>
 <tile id="8">
  <properties>
   <property name="blocked" type="bool" value="true"/>
   <property name="name" value="wall"/>
  </properties>
 </tile>
 <tile id="9">
  <properties>
   <property name="blocked" type="bool" value="true"/>
   <property name="name" value="window"/>
  </properties>
 </tile>
 <tile id="10">
  <properties>
   <property name="blocked" type="bool" value="false"/>
   <property name="name" value="door"/>
  </properties>
 </tile>
 <tile id="11">
  <properties>
   <property name="blocked" type="bool" value="true"/>
   <property name="name" value="tree"/>
  </properties>
 </tile>
 <tile id="12">
  <properties>
   <property name="blocked" type="bool" value="true"/>
   <property name="name" value="fence"/>
  </properties>
 </tile>
 <tile id="13">
  <properties>
   <property name="blocked" type="bool" value="true"/>
   <property name="name" value="board"/>
  </properties>
 </tile>
 <tile id="14">
  <properties>
   <property name="blocked" type="bool" value="true"/>
   <property name="name" value="bush"/>
  </properties>
 </tile>
 <tile id="15">
  <properties>
   <property name="blocked" type="bool" value="true"/>
   <property name="name" value="rock"/>
  </properties>
 </tile>
 <tile id="16">
  <properties>
   <property name="blocked" type="bool" value="true"/>
   <property name="name" value="well"/>
  </properties>
 </tile>
 <tile id="17">
  <properties>
   <property name="blocked" type="bool" value="true"/>
   <property name="name" value="table"/>
  </properties>
 </tile>
 <tile id="18">
  <properties>
   <property name="blocked" type="bool" value="true"/>
   <property name="name" value="bookshelf"/>
  </properties>
 </tile>
 <tile id="19">
  <properties>
   <property name="blocked" type="bool" value="true"/>
   <property name="name" value="stall"/>
  </properties>
 </tile>
 <tile id="20">
  <properties>
   <property name="blocked" type="bool" value="true"/>
   <property name="name" value="crate"/>
  </properties>
 </tile>
 <tile id="21">
  <properties>
   <property name="blocked" type="bool" value="true"/>
   <property name="name" value="anvil"/>
  </properties>
 </tile>
 <tile id="22">
  <properties>
   <property name="blocked" type="bool" value="true"/>
   <property name="name" value="lamp"/>
  </properties>
 </tile>
 <tile id="23">
  <properties>
   <property name="blocked" type="bool" value="false"/>
   <property name="name" value="rug"/>
  </properties>
 </tile>
</tileset>
